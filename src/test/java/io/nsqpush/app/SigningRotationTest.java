package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's rotation, end to end: sign with the old secret, then with both while the receiver switches, then with
 * the new one only; at every step the receiver of that step verifies every request as Standard Webhooks receivers do
 * (any one of the space-separated {@code v1,} signatures made with its secret), so no delivery would be rejected.
 */
class SigningRotationTest {

    private static final String OLD = secret("the old signing key, 32 bytes!!!");
    private static final String NEW = secret("the new signing key, 32 bytes!!!");

    private final TestNsqd nsqd = TestNsqd.start();
    private TestEndpoint endpoint;
    private Bridge bridge;

    private static String secret(String key) {
        return "whsec_" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd);
    }

    /** A Standard Webhooks receiver holding one secret: true when one of the listed signatures is its own. */
    private static boolean verifies(String secret, TestEndpoint.Request request) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((request.header("webhook-id") + "." + request.header("webhook-timestamp") + ".")
                .getBytes(StandardCharsets.UTF_8));
        String mine = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(request.body()));
        return Arrays.asList(request.header("webhook-signature").split(" ")).contains(mine);
    }

    private TestEndpoint.Request deliverWith(String secrets, String body) throws Exception {
        bridge = Bridge.on(nsqd, endpoint.url("/hook"), Map.of("routes.reload-enabled", "false",
                "push.signing-secret", secrets));
        long delivered = nsqd.finCount("orders", "nsq-push");
        String id = nsqd.publish("orders", body);
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == delivered + 1);
        bridge.close();
        bridge = null;
        return endpoint.requestsFor(id).get(0);
    }

    @Test
    void aRotationFromOneSecretToAnotherVerifiesAtEveryStep() throws Exception {
        endpoint = TestEndpoint.start();
        TestEndpoint.Request before = deliverWith(OLD, "before");
        assertTrue(verifies(OLD, before));
        assertFalse(verifies(NEW, before), "the receiver cannot switch yet");

        // 1. the new secret beside the old one: receivers holding either accept
        TestEndpoint.Request during = deliverWith(OLD + " " + NEW, "during");
        assertEquals(2, during.header("webhook-signature").split(" ").length);
        assertTrue(verifies(OLD, during), "a receiver still on the old secret");
        assertTrue(verifies(NEW, during), "a receiver already on the new secret");

        // 2. every receiver has the new secret: drop the old one
        TestEndpoint.Request after = deliverWith(NEW, "after");
        assertTrue(verifies(NEW, after));
        assertFalse(verifies(OLD, after));
        assertEquals(List.of(1, 1, 1), List.of(endpoint.requestsFor(before.header("x-cmq-message-id")).size(),
                endpoint.requestsFor(during.header("x-cmq-message-id")).size(),
                endpoint.requestsFor(after.header("x-cmq-message-id")).size()), "each message once");
    }
}
