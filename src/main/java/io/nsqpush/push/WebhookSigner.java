package io.nsqpush.push;

import io.nsqpush.config.InvalidValueException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Signs a request as Standard Webhooks specifies (standardwebhooks.com): {@code webhook-signature: v1,<base64 of
 * HMAC-SHA256(key, "<id>.<timestamp>.<body>")>}, the key being the base64 text after {@code whsec_} in the secret. Any
 * Standard Webhooks library verifies it. Thread-safe; the secret is never part of a message or a toString.
 */
public final class WebhookSigner {

    /** The message's {@link DedupeKey}, sent on every request, signed or not; the id a signature signs. */
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";
    public static final String ALLOWED = "whsec_ followed by a base64 key (as Standard Webhooks providers issue),"
            + " or empty for unsigned requests";
    private static final String PREFIX = "whsec_";

    private final SecretKeySpec key;
    /** A Mac is not thread-safe and costly to look up: one per delivery thread, initialized once. */
    private final ThreadLocal<Mac> macs;

    private WebhookSigner(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /**
     * @return a signer, or null when the secret is blank (requests go unsigned)
     * @throws InvalidValueException naming the key, never the secret, when it is not whsec_ + base64
     */
    public static WebhookSigner of(String name, String secret) {
        String value = secret == null ? "" : secret.trim();
        if (value.isEmpty()) {
            return null;
        }
        byte[] key = null;
        if (value.startsWith(PREFIX)) {
            try {
                key = Base64.getDecoder().decode(value.substring(PREFIX.length()));
            } catch (IllegalArgumentException notBase64) {
                key = null;
            }
        }
        if (key == null || key.length == 0) {
            throw new InvalidValueException(name, "(secret, not shown)", "is not a signing secret", ALLOWED);
        }
        return new WebhookSigner(key);
    }

    /** @return the value of the webhook-signature header for this request */
    public String sign(String id, long timestampSeconds, byte[] body) {
        Mac mac = macs.get();
        mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
        byte[] digest = mac.doFinal(body);
        return "v1," + Base64.getEncoder().encodeToString(digest);
    }

    /** @param body the request body as sent, or null for none; its reader index is left as it is */
    public String sign(String id, long timestampSeconds, io.netty.buffer.ByteBuf body) {
        Mac mac = macs.get();
        mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
        if (body != null) {
            for (java.nio.ByteBuffer part : body.nioBuffers()) {
                mac.update(part);
            }
        }
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "WebhookSigner[HmacSHA256]";
    }
}
