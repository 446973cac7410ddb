package io.nsqpush.push;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.nsqpush.config.InvalidValueException;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Signing with several secrets, checked against the specification's test vector and the JDK's HMAC on its own. */
class WebhookSignerTest {

    /** The Standard Webhooks specification's test vector (also in NsqToHttpDropInTest). */
    private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long SPEC_TIMESTAMP = 1614265330;
    private static final byte[] SPEC_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static final String NEW_SECRET = "whsec_" + Base64.getEncoder().encodeToString(
            "the next signing key, 32 bytes!!".getBytes(StandardCharsets.UTF_8));

    /** HMAC-SHA256 as the specification writes it, with the JDK only: what a receiver computes. */
    private static String expected(String secret, String id, long timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    @Test
    void oneSecretSignsAsTheSpecificationsTestVector() {
        WebhookSigner signer = WebhookSigner.of("push.signing-secret", SPEC_SECRET);
        assertEquals(SPEC_SIGNATURE, signer.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY));
        assertEquals(1, signer.secrets());
    }

    @Test
    void severalSecretsListOneSignatureEachSpaceSeparatedInTheOrderGiven() throws Exception {
        String mine = expected(NEW_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        assertEquals(SPEC_SIGNATURE + " " + mine, WebhookSigner.of("s", SPEC_SECRET + " " + NEW_SECRET)
                .sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY));
        assertEquals(mine + " " + SPEC_SIGNATURE, WebhookSigner.of("s", " " + NEW_SECRET + ",\t" + SPEC_SECRET + " ")
                .sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY));
        assertEquals(SPEC_SIGNATURE + " " + mine, WebhookSigner.of("s", SPEC_SECRET + ", " + NEW_SECRET)
                .sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY));
        WebhookSigner twice = WebhookSigner.of("s", SPEC_SECRET + " " + SPEC_SECRET);
        assertEquals(1, twice.secrets(), "the same secret twice signs once");
        assertEquals(SPEC_SIGNATURE, twice.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY));
        assertEquals("WebhookSigner[HmacSHA256 ×2]", WebhookSigner.of("s", SPEC_SECRET + " " + NEW_SECRET).toString());
    }

    @Test
    void aBodyInSeveralBuffersSignsAsItsBytesForEverySecret() throws Exception {
        WebhookSigner signer = WebhookSigner.of("s", SPEC_SECRET + " " + NEW_SECRET);
        CompositeByteBuf body = Unpooled.compositeBuffer();
        body.addComponent(true, Unpooled.wrappedBuffer(Arrays.copyOfRange(SPEC_BODY, 0, 7)));
        body.addComponent(true, Unpooled.directBuffer().writeBytes(Arrays.copyOfRange(SPEC_BODY, 7, SPEC_BODY.length)));
        int readerIndex = body.readerIndex();
        assertEquals(SPEC_SIGNATURE + " " + expected(NEW_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
                signer.sign(SPEC_ID, SPEC_TIMESTAMP, (ByteBuf) body));
        assertEquals(readerIndex, body.readerIndex());
        body.release();
        assertEquals(expected(SPEC_SECRET, "id", 5, new byte[0]) + " " + expected(NEW_SECRET, "id", 5, new byte[0]),
                signer.sign("id", 5, (ByteBuf) null), "a GET: the empty body");
    }

    @Test
    void aBadSecretAmongSeveralIsNamedByItsPositionNeverShown() {
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> WebhookSigner.of("push.signing-secret", SPEC_SECRET + " whsec_not!base64 " + NEW_SECRET));
        assertEquals("push.signing-secret '(secret, not shown)' is not a signing secret (the 2nd of 3): allowed "
                + WebhookSigner.ALLOWED, e.getMessage());
        assertFalse(e.getMessage().contains("MfKQ9r8") || e.getMessage().contains("not!base64"));
        assertThrows(InvalidValueException.class, () -> WebhookSigner.of("s", "plain-text-secret"));
        assertNull(WebhookSigner.of("s", " "));
        assertNull(WebhookSigner.of("s", " , "));
        for (String secrets : List.of(SPEC_SECRET + ",", ", " + SPEC_SECRET, "\n" + SPEC_SECRET + " ,\n")) {
            assertEquals(SPEC_SIGNATURE, WebhookSigner.of("s", secrets).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY));
        }
    }
}
