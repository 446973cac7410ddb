package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CMQ's retry policies end to end (real Main, routes and HTTP): the delays are the REQ timeouts the test nsqd was sent,
 * asserted as they are; instead of waiting 10-20 s for each, the test makes the deferred message due at once
 * ({@link TestNsqd#deliverDeferredNow}), after the REQ carrying the policy's delay was recorded.
 */
class RetryPolicyTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private final TestEndpoint endpoint = failing();
    private Bridge bridge;

    private static TestEndpoint failing() {
        try {
            return TestEndpoint.start().answer(n -> 500);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, logs);
    }

    /** Waits for the n-th REQ, checks it is for the message, then lets nsqd deliver the message again at once. */
    private long nextReq(String id, int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.commands("REQ").size() >= n);
        Command req = nsqd.commands("REQ").get(n - 1);
        assertEquals(id, req.arg(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.deferred("orders", "nsq-push") == 1);
        assertEquals(1, nsqd.deliverDeferredNow("orders", "nsq-push"));
        return Long.parseLong(req.arg(1));
    }

    @Test
    void backoffRetryRequeuesThreeTimesAfterTenToTwentySecondsThenDeadLetters() throws Exception {
        bridge = Bridge.on(nsqd, endpoint.url("/push"), Map.of("routes.reload-enabled", "false",
                "push.retry-policy", "BACKOFF_RETRY", "push.redeliveries", "0",
                // the NSQ policy's options do not apply: a CMQ policy has its own delays and attempts
                "nsq.max-attempts", "9", "push.requeue-delay", "100ms"));
        String id = nsqd.publish("orders", "always rejected");

        for (int retry = 1; retry <= 3; retry++) {
            long delay = nextReq(id, retry);
            assertTrue(delay >= 10_000 && delay <= 20_000, "retry " + retry + " REQed for " + delay + " ms");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.published("orders.dead-letter").size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        assertEquals(3, nsqd.commands("REQ").size(), "no fourth REQ");
        assertEquals(4, endpoint.requestsFor(id).size(), "the first delivery and 3 retries, one POST each");
        JsonNode record = new ObjectMapper().readTree(nsqd.published("orders.dead-letter").get(0).body());
        assertEquals(4, record.get("attempts").asInt(), "nsqd's attempts counter");
        assertEquals(List.of("1/4", "2/4", "3/4"), logs.find(Level.WARN, "Delivery failed").stream()
                .map(l -> l.message().replaceAll("(?s).*attempt=(\\d+/\\d+).*", "$1")).toList());
        assertEquals(1, logs.find(Level.INFO, "then BACKOFF_RETRY: REQ 10s-20s ×3, then dead letter").size(),
                "the start-up line names the policy: " + logs.find(Level.INFO, "orders/nsq-push ←"));
    }

    @Test
    void aSubscriptionChoosesExponentialDecayRetryByParameter() throws Exception {
        String subscription = """
                - templatedRoute:
                    routeTemplateRef: nsq-push
                    routeId: push-billing
                    parameters:
                      - {name: topic, value: billing}
                      - {name: retryPolicy, value: EXPONENTIAL_DECAY_RETRY}
                """;
        bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", endpoint.url("/push"),
                "routes.reload-enabled", "false", "push.redeliveries", "0"), Map.of("billing.yaml", subscription));
        String id = nsqd.publish("billing", "a bill");
        long[] expected = {1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 512_000};
        for (int retry = 1; retry <= expected.length; retry++) {
            int n = retry;
            await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.commands("REQ").size() >= n);
            Command req = nsqd.commands("REQ").get(n - 1);
            assertEquals(id, req.arg(0));
            assertEquals(expected[n - 1], Long.parseLong(req.arg(1)), "the REQ delay after attempt " + n);
            await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.deferred("billing", "nsq-push") == 1);
            nsqd.deliverDeferredNow("billing", "nsq-push");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(id).size() == expected.length + 1);
        assertTrue(nsqd.published("billing.dead-letter").isEmpty(), "165 retries to go");
        assertEquals(1, logs.find(Level.WARN, "attempt=11/177").size());
        // the subscription left the default (NSQ) for the shipped one
        assertEquals(1, logs.find(Level.INFO, "orders/nsq-push ←").size());
        assertTrue(logs.find(Level.INFO, "orders/nsq-push ←").get(0).message().contains("then REQ 10s, 20s"));
    }

    @Test
    void aSubscriptionsCmqPolicyAboveItsLargestRequeueDelayStopsStartUpNamingIt() throws Exception {
        java.nio.file.Path routes = java.nio.file.Files.createTempDirectory("routes");
        try {
            for (java.nio.file.Path file : java.nio.file.Files.list(java.nio.file.Path.of("routes")).toList()) {
                java.nio.file.Files.copy(file, routes.resolve(file.getFileName()));
            }
            java.nio.file.Files.writeString(routes.resolve("bad.yaml"), """
                    - templatedRoute:
                        routeTemplateRef: nsq-push
                        routeId: push-bad
                        parameters:
                          - {name: topic, value: bad}
                          - {name: retryPolicy, value: BACKOFF_RETRY}
                          - {name: maxRequeueDelay, value: 15s}
                    """);
            int exit = NsqPushMain.run(new String[0], Map.of("routes.directory", routes.toString(),
                    "routes.reload-enabled", "false", "nsq.nsqd-tcp-addresses", nsqd.address(),
                    "camel.management.enabled", "false"));
            assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exit);
            List<CapturedLogs.Line> errors = logs.lines().stream()
                    .filter(l -> l.level().isMoreSpecificThan(Level.WARN)).toList();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).message().startsWith("Invalid setting: subscription push-bad: retryPolicy"
                    + " 'BACKOFF_RETRY' REQs with delays up to 20s, above maxRequeueDelay (15s"),
                    errors.get(0).message());
        } finally {
            for (java.nio.file.Path file : java.nio.file.Files.list(routes).toList()) {
                java.nio.file.Files.delete(file);
            }
            java.nio.file.Files.delete(routes);
        }
    }

    @Test
    void aCmqPolicyAboveTheSettingsLargestRequeueDelayStopsStartUpNamingBoth() throws Exception {
        int exit = NsqPushMain.run(new String[0], Map.of("routes.reload-enabled", "false",
                "push.retry-policy", "EXPONENTIAL_DECAY_RETRY", "push.max-requeue-delay", "5m"));
        assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exit);
        List<CapturedLogs.Line> errors = logs.lines().stream()
                .filter(l -> l.level().isMoreSpecificThan(Level.WARN)).toList();
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("Invalid setting: push.retry-policy 'EXPONENTIAL_DECAY_RETRY' REQs with delays up to 8m32s,"
                + " above push.max-requeue-delay (5m, set it to nsqd's --max-req-timeout when that is lower than 1h):"
                + " allowed NSQ, or push.max-requeue-delay of at least 8m32s", errors.get(0).message());
    }
}
