package io.nsqpush.push;

import io.nsqpush.config.InvalidValueException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Signs a request as Standard Webhooks specifies (standardwebhooks.com): {@code webhook-signature: v1,<base64 of
 * HMAC-SHA256(key, "<id>.<timestamp>.<body>")>}, the key being the base64 text after {@code whsec_} in the secret. Any
 * Standard Webhooks library verifies it. With several secrets (a rotation: the new one beside the old) the header
 * lists one {@code v1,<signature>} per secret, space-separated, in the order given, and a receiver holding either
 * secret accepts the request. Thread-safe; no secret is ever part of a message or a toString.
 */
public final class WebhookSigner {

    /** The message's {@link DedupeKey}, sent on every request, signed or not; the id a signature signs. */
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";
    public static final String ALLOWED = "whsec_ followed by a base64 key (as Standard Webhooks providers issue),"
            + " several separated by spaces or commas while rotating, or empty for unsigned requests";
    private static final String PREFIX = "whsec_";
    /** base64 has neither: a space or a comma can only separate two secrets. */
    private static final String SEPARATORS = "[\\s,]+";

    private final List<SecretKeySpec> keys;
    /** A Mac is not thread-safe and costly to look up: one per secret per delivery thread, initialized once. */
    private final ThreadLocal<Mac[]> macs;

    private WebhookSigner(List<byte[]> keys) {
        this.keys = keys.stream().map(key -> new SecretKeySpec(key, "HmacSHA256")).toList();
        this.macs = ThreadLocal.withInitial(this::newMacs);
    }

    /**
     * @return a signer, or null when the secret is blank (requests go unsigned)
     * @throws InvalidValueException naming the key, never the secret, when it is not whsec_ + base64
     */
    public static WebhookSigner of(String name, String secret) {
        String value = secret == null ? "" : secret.replaceAll("^" + SEPARATORS + "|" + SEPARATORS + "$", "");
        if (value.isEmpty()) {
            return null;
        }
        String[] secrets = value.split(SEPARATORS);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < secrets.length; i++) {
            byte[] key = null;
            if (secrets[i].startsWith(PREFIX)) {
                try {
                    key = Base64.getDecoder().decode(secrets[i].substring(PREFIX.length()));
                } catch (IllegalArgumentException notBase64) {
                    key = null;
                }
            }
            if (key == null || key.length == 0) {
                // which one by its position, never by any part of it
                throw new InvalidValueException(name, "(secret, not shown)", "is not a signing secret"
                        + (secrets.length > 1 ? " (the " + ordinal(i + 1) + " of " + secrets.length + ")" : ""),
                        ALLOWED);
            }
            byte[] candidate = key;
            if (keys.stream().noneMatch(k -> Arrays.equals(k, candidate))) {
                keys.add(key);
            }
        }
        return new WebhookSigner(keys);
    }

    private static String ordinal(int n) {
        return n + (n % 100 / 10 == 1 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        });
    }

    /** @return how many secrets sign each request */
    public int secrets() {
        return keys.size();
    }

    /** @return the value of the webhook-signature header for this request */
    public String sign(String id, long timestampSeconds, byte[] body) {
        byte[] prefix = (id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8);
        StringBuilder header = new StringBuilder();
        for (Mac mac : macs.get()) {
            mac.update(prefix);
            append(header, mac.doFinal(body));
        }
        return header.toString();
    }

    /** @param body the request body as sent, or null for none; its reader index is left as it is */
    public String sign(String id, long timestampSeconds, io.netty.buffer.ByteBuf body) {
        byte[] prefix = (id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8);
        StringBuilder header = new StringBuilder();
        for (Mac mac : macs.get()) {
            mac.update(prefix);
            if (body != null) {
                // fresh views for every secret: Mac.update moves a ByteBuffer's position
                for (java.nio.ByteBuffer part : body.nioBuffers()) {
                    mac.update(part);
                }
            }
            append(header, mac.doFinal());
        }
        return header.toString();
    }

    private static void append(StringBuilder header, byte[] digest) {
        header.append(header.isEmpty() ? "" : " ").append("v1,").append(Base64.getEncoder().encodeToString(digest));
    }

    private Mac[] newMacs() {
        try {
            Mac[] all = new Mac[keys.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = Mac.getInstance("HmacSHA256");
                all[i].init(keys.get(i));
            }
            return all;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "WebhookSigner[HmacSHA256" + (keys.size() > 1 ? " ×" + keys.size() : "") + "]";
    }
}
