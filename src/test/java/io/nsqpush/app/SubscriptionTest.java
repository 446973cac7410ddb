package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscription is a few lines of YAML; a bad value in one is reported like a bad setting, with its route id: at
 * start-up the bridge stops, on a live reload only that subscription is left out.
 */
class SubscriptionTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, logs);
    }

    private static String subscription(String routeId, String topic, String... parameters) {
        StringBuilder yaml = new StringBuilder("""
                - templatedRoute:
                    routeTemplateRef: nsq-push
                    routeId: %s
                    parameters:
                      - {name: topic, value: %s}
                """.formatted(routeId, topic));
        for (int i = 0; i < parameters.length; i += 2) {
            yaml.append("      - {name: ").append(parameters[i]).append(", value: \"").append(parameters[i + 1])
                    .append("\"}\n");
        }
        return yaml.toString();
    }

    /** @return the one request with this dedupe key */
    private TestEndpoint.Request byKey(String key) {
        List<TestEndpoint.Request> found = endpoint.requests().stream().filter(r -> key.equals(r.header("webhook-id")))
                .toList();
        assertEquals(1, found.size(), key + " in " + endpoint.requests());
        return found.get(0);
    }

    @Test
    void aSubscriptionOfAFewLinesTakesEverythingElseFromTheSettings() throws Exception {
        endpoint = TestEndpoint.start();
        bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", endpoint.url("/orders"),
                "push.tags", "shared"), Map.of("billing.yaml", subscription("push-billing", "billing", "url",
                endpoint.url("/billing"), "format", "SIMPLIFIED")));
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.connectedClients().size() == 2);
        String order = nsqd.publish("orders", "an order");
        String bill = nsqd.publish("billing", "a bill");

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 2);
        // the two topics number their messages on their own: the ids may be the same, the keys are not
        TestEndpoint.Request billing = byKey(io.nsqpush.push.DedupeKey.of(nsqd.address(), "billing", bill));
        assertEquals("/billing", billing.path());
        assertEquals("a bill", billing.bodyUtf8(), "SIMPLIFIED, as the subscription says");
        assertEquals("shared", billing.header("x-cmq-message-tag"), "the rest from the settings");
        assertTrue(byKey(io.nsqpush.push.DedupeKey.of(nsqd.address(), "orders", order)).bodyUtf8()
                .startsWith("{\"TopicOwner\""));
        assertEquals("billing", billing.header("x-cmq-topic-name"));
        assertEquals(List.of("billing/nsq-push ← nsqd " + nsqd.address() + " → " + endpoint.url("/billing")
                + " (SIMPLIFIED, 200 in flight); retries: redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s,"
                + " then dead letter → nsq:billing.dead-letter on the nsqd it came from"),
                logs.find(Level.INFO, "billing/nsq-push ←").stream().map(CapturedLogs.Line::message).toList());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "maxInFlight | lots | subscription push-bad: maxInFlight 'lots' is not a whole number: allowed 1..65535",
        "timeout     | 10x  | subscription push-bad: timeout '10x' is not a duration: allowed 1ms..15m",
        "format      | XML  | subscription push-bad: format 'XML' is not one of them: allowed JSON, SIMPLIFIED",
        "redeliveries | -1  | subscription push-bad: redeliveries '-1' is out of range: allowed 0..100",
        "sample      | 2    | subscription push-bad: sample '2' is out of range: allowed a number from 0.0 to 1.0",
        "requeueDelay | 20m | subscription push-bad: maxRequeueDelay '15m' is below requeueDelay (20m)",
    })
    void aBadValueInASubscriptionStopsStartUpWithOneLineNamingItsRouteAndParameter(String parameter, String value,
                                                                                   String expected) throws Exception {
        Path routes = Files.createTempDirectory("routes");
        try {
            for (Path file : Files.list(Path.of("routes")).toList()) {
                Files.copy(file, routes.resolve(file.getFileName()));
            }
            Files.writeString(routes.resolve("bad.yaml"), subscription("push-bad", "bad", parameter, value));
            // a bridge that starts despite the bad value would run until stopped: fail instead of waiting for it
            int exit = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> NsqPushMain.run(
                    new String[0], Map.of("routes.directory", routes.toString(), "routes.reload-enabled", "false",
                            "nsq.nsqd-tcp-addresses", nsqd.address(), "camel.management.enabled", "false")));
            assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exit);
            List<CapturedLogs.Line> errors = logs.lines().stream()
                    .filter(l -> l.level().isMoreSpecificThan(Level.WARN)).toList();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).message().startsWith("Invalid setting: " + expected), errors.get(0).message());
        } finally {
            for (Path file : Files.list(routes).toList()) {
                Files.delete(file);
            }
            Files.delete(routes);
        }
    }

    @Test
    void onALiveReloadABadSubscriptionIsLeftOutAndTheOthersKeepRunning() throws Exception {
        endpoint = TestEndpoint.start();
        bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", endpoint.url("/x")),
                Map.of("billing.yaml", subscription("push-billing", "billing")));
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.connectedClients().size() == 2);

        Files.writeString(bridge.routes().resolve("billing.yaml"), subscription("push-billing", "billing",
                "timeout", "10x"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !logs.find(Level.ERROR, "push-billing").isEmpty());
        assertEquals(List.of("Invalid setting: subscription push-billing: timeout '10x' is not a duration: allowed"
                + " 1ms..15m, a duration such as 250ms, 15s, 10m, 1h or 1m30s (a bare number is milliseconds); left"
                + " out of the reload, the other subscriptions run"),
                logs.find(Level.ERROR, "").stream().map(CapturedLogs.Line::message).toList());
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.context().getRoute("push") != null
                && bridge.context().getRouteController().getRouteStatus("push").isStarted());
        assertEquals(null, bridge.context().getRoute("push-billing"));

        String id = nsqd.publish("orders", "still delivered");
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(id).size() == 1);
    }
}
