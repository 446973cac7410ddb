package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.component.NsqConsumer;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.DeliveredMessage;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An endpoint outage spends no attempts: the subscription pauses (RDY 0), probes with one held message at a growing
 * interval, honours Retry-After, and resumes; a message the endpoint rejects alone never pauses anything.
 */
class EndpointOutageTest {

    /** Test-sized back-off: probes after 200 ms, then 400 ms, never more. */
    private static final Map<String, String> FAST = Map.of("push.pause", "200ms", "push.max-pause", "400ms",
            "push.redeliveries", "1", "push.redelivery-delay", "50ms", "push.requeue-delay", "100ms",
            "push.max-requeue-delay", "200ms", "nsq.max-attempts", "3", "nsq.max-in-flight", "10",
            "routes.reload-enabled", "false");

    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private final List<TestEndpoint> endpoints = new ArrayList<>();
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoints, nsqd, logs);
    }

    private TestEndpoint endpoint(TestEndpoint endpoint) {
        endpoints.add(endpoint);
        return endpoint;
    }

    private Set<String> publish(int count) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            ids.add(nsqd.publish("orders", "message " + i));
        }
        return ids;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(bridge.managementUrl() + path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private NsqConsumer consumer() {
        return (NsqConsumer) bridge.context().getRoute("push").getConsumer();
    }

    private ClientRecord client() {
        await().atMost(Duration.ofSeconds(10)).until(() -> !nsqd.connectedClients().isEmpty());
        return nsqd.connectedClients().get(0);
    }

    /** Probes in an outage of this length at most: the first after 180 ms (200 - 10 % jitter), then every 360 ms. */
    private static long maxProbes(long outageMillis) {
        return 1 + Math.max(0, outageMillis - 180) / 360 + 1;
    }

    @Test
    void anOutageLongerThanTheAttemptBudgetDeadLettersNothingAndSpendsNoAttempt() throws Exception {
        TestEndpoint gone = TestEndpoint.start();
        int port = gone.port();
        gone.close(); // connection refused from now on
        bridge = Bridge.on(nsqd, "http://127.0.0.1:" + port + "/push", FAST, Map.of("status.interval", "1s"));
        ClientRecord client = client();
        Set<String> published = publish(50);

        await().atMost(Duration.ofSeconds(10)).until(() -> consumer().isPaused());
        await().atMost(Duration.ofSeconds(5)).until(() -> client.rdy() == 0);
        assertEquals(1, logs.find(Level.WARN, "Pausing orders/nsq-push: its endpoint looks unavailable (connection"
                + " refused by 127.0.0.1:" + port + ")").size(), logs.lines().toString());
        // for 3 s, far longer than the old budget (3 attempts, 100 ms and 200 ms apart), all the time: paused,
        // RDY 0 (1 only to fetch a probe), nothing requeued, nothing dead
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> consumer().isPaused()
                && client.rdy() <= 1 && nsqd.requeueCount("orders", "nsq-push") == 0
                && nsqd.published("orders.dead-letter").isEmpty());
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
        // the window's messages are held, unanswered: 10, or 9 for the few ms a probe takes one of them out
        assertTrue(consumer().getHeld() >= 9, "held " + consumer().getHeld());
        await().atMost(Duration.ofSeconds(2)).until(() -> consumer().getHeld() == 10);
        assertTrue(client.rdy() == 0 || client.rdy() == 1, "RDY 0 while paused (1 only to fetch a probe)");
        // visible: liveness stays UP (a restart would not bring the endpoint back), readiness says why not
        assertEquals(200, get("/observe/health/live").statusCode());
        HttpResponse<String> ready = get("/observe/health/ready");
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().contains("the endpoint is unavailable (connection refused by 127.0.0.1:" + port),
                ready.body());
        String metrics = get("/observe/metrics").body();
        assertTrue(metrics.contains("nsq_push_paused{channel=\"nsq-push\",topic=\"orders\"} 1.0"), metrics);
        assertTrue(metrics.contains("nsq_push_pauses_total{channel=\"nsq-push\",topic=\"orders\"} 1.0"), metrics);
        // between two probes
        await().atMost(Duration.ofSeconds(2)).until(() -> get("/observe/metrics").body()
                .contains("nsq_push_held{channel=\"nsq-push\",topic=\"orders\"} 10.0"));
        await().atMost(Duration.ofSeconds(5)).until(() -> logs.lines().stream().anyMatch(l -> l.message()
                .matches(".*orders/nsq-push: .*, paused for \\d+s \\(connection refused by 127.0.0.1:" + port
                        + "\\), 10 held")));

        TestEndpoint back = endpoint(TestEndpoint.start(port));
        await().atMost(Duration.ofSeconds(20)).until(() -> back.headerValues("x-cmq-message-id")
                .containsAll(published));
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 50);
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
        assertEquals(1, nsqd.deliveries("orders", "nsq-push").stream().mapToInt(DeliveredMessage::attempts).max()
                .orElse(0), "every message delivered on its first attempt");
        assertEquals(1, logs.find(Level.INFO, "Resuming orders/nsq-push: its endpoint answers again after").size());
        assertEquals(200, get("/observe/health/ready").statusCode());
        assertEquals(50, new HashSet<>(back.headerValues("x-cmq-message-id")).size());
    }

    @Test
    void while503sLastRequestsAreBoundedByTheProbeSchedule() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start());
        AtomicLong backAt = new AtomicLong(Long.MAX_VALUE);
        endpoint.answer(n -> System.nanoTime() < backAt.get() ? 503 : 200);
        bridge = Bridge.on(nsqd, endpoint.url("/push"), FAST);
        client();
        Set<String> published = publish(30);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer().isPaused());
        int atPause = endpoint.requests().size();
        long pausedAt = System.nanoTime();
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> consumer().isPaused());
        int duringOutage = endpoint.requests().size() - atPause;
        long outageMillis = (System.nanoTime() - pausedAt) / 1_000_000;
        backAt.set(System.nanoTime());

        // the window's 10 first requests (a redelivery or two may have been on its way), then one probe at a time
        assertTrue(atPause <= 12, "requests before the pause: " + atPause);
        assertTrue(duringOutage >= 5 && duringOutage <= maxProbes(outageMillis),
                duringOutage + " requests in a " + outageMillis + " ms outage");
        await().atMost(Duration.ofSeconds(20)).until(() -> nsqd.finCount("orders", "nsq-push") == 30);
        assertTrue(new HashSet<>(endpoint.headerValues("x-cmq-message-id")).containsAll(published));
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
    }

    @Test
    void retryAfterPausesExactlyThatLongWithoutSpendingAttempts() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start());
        endpoint.answer(n -> n == 0 ? 429 : 200).answerHeaders(n -> n == 0 ? Map.of("Retry-After", "2") : Map.of());
        bridge = Bridge.on(nsqd, endpoint.url("/push"), FAST, Map.of("nsq.max-in-flight", "1"));
        client();
        Set<String> published = publish(3);

        await().atMost(Duration.ofSeconds(20)).until(() -> nsqd.finCount("orders", "nsq-push") == 3);
        List<TestEndpoint.Request> requests = endpoint.requests();
        assertEquals(4, requests.size(), "one 429, then the three messages");
        long gapMillis = (requests.get(1).receivedAtNanos() - requests.get(0).receivedAtNanos()) / 1_000_000;
        assertTrue(gapMillis >= 1_700 && gapMillis <= 2_300, "no request for " + gapMillis + " ms");
        assertEquals(requests.get(0).header("x-cmq-message-id"), requests.get(1).header("x-cmq-message-id"),
                "the same message, held and sent again");
        assertEquals(published, new HashSet<>(endpoint.headerValues("x-cmq-message-id")));
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
    }

    @Test
    void aPoisonMessageNeverPausesTheOthersAndIsDeadLetteredAfterMaxAttempts() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start());
        List<TestEndpoint.Request> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        endpoint.answer(n -> endpoint.requests().get(n).bodyUtf8().contains("poison") ? 503 : 200);
        bridge = Bridge.on(nsqd, endpoint.url("/push"), FAST, Map.of("nsq.max-in-flight", "5"));
        client();
        String poison = nsqd.publish("orders", "{\"poison\":true}");
        Set<String> others = publish(40);

        await().atMost(Duration.ofSeconds(20)).until(() -> nsqd.published("orders.dead-letter").size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 41);
        assertEquals(0, consumer().getPauses(), "one message failing alone pauses nothing");
        assertEquals(6, endpoint.requestsFor(poison).size(), "3 attempts x (1 POST + 1 redelivery)");
        for (String id : others) {
            assertEquals(1, endpoint.requestsFor(id).size(), id);
        }
        JsonNode record = new ObjectMapper().readTree(nsqd.published("orders.dead-letter").get(0).body());
        assertEquals(poison, record.get("msgId").asText());
        assertEquals(503, record.get("lastStatus").asInt());
        assertEquals(3, record.get("attempts").asInt());
    }

    @Test
    void deadLetterOnDeadLettersAtOnceAndSuccessOnDelivers() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start());
        endpoint.answer(n -> endpoint.requests().get(n).bodyUtf8().contains("bad") ? 400 : 409);
        bridge = Bridge.on(nsqd, endpoint.url("/push"), FAST, Map.of("push.dead-letter-on", "400,422",
                "push.success-on", "409"));
        client();
        String bad = nsqd.publish("orders", "bad request");
        String known = nsqd.publish("orders", "already have it");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 2);
        assertEquals(1, endpoint.requestsFor(bad).size(), "no redelivery, no requeue for a status that never works");
        assertEquals(1, endpoint.requestsFor(known).size());
        assertEquals(1, nsqd.published("orders.dead-letter").size());
        JsonNode record = new ObjectMapper().readTree(nsqd.published("orders.dead-letter").get(0).body());
        assertEquals(bad, record.get("msgId").asText());
        assertEquals(400, record.get("lastStatus").asInt());
        assertEquals(1, record.get("attempts").asInt());
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
    }

    @Test
    void aTricklingAnswerIsCutAtTheDeadline() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start());
        endpoint.answer(n -> n == 0 ? TestEndpoint.TRICKLE : 200);
        bridge = Bridge.on(nsqd, endpoint.url("/push"), FAST, Map.of("push.timeout", "1s"));
        client();
        long start = System.nanoTime();
        String id = nsqd.publish("orders", "slowly answered");

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(id).size() == 2);
        long tookMillis = (endpoint.requestsFor(id).get(1).receivedAtNanos() - start) / 1_000_000;
        // 1 s deadline + 50 ms redelivery delay, not the minute the body would take
        assertTrue(tookMillis >= 1_000 && tookMillis < 2_500, "the retry came after " + tookMillis + " ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        PushMetrics metrics = bridge.context().getRegistry().lookupByNameAndType("pushMetrics", PushMetrics.class);
        assertEquals(1, (long) metrics.subscriptions().iterator().next().failures(endpoint.url("/push"), "timeout")
                .count());
    }

    @Test
    void heldMessagesGoBackToNsqdBeforeItsMaxMsgTimeoutAndAreStillNotDeadLettered() throws Exception {
        nsqd.close();
        TestNsqd short15s = TestNsqd.start(new TestNsqd.Options().maxMsgTimeoutMs(3_000));
        try {
            TestEndpoint gone = TestEndpoint.start();
            int port = gone.port();
            gone.close();
            bridge = Bridge.on(short15s, "http://127.0.0.1:" + port + "/push", FAST, Map.of("nsq.msg-timeout", "2s"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !short15s.connectedClients().isEmpty());
            for (int i = 0; i < 5; i++) {
                short15s.publish("orders", "held " + i);
            }
            // held for 2.7 s at most (max_msg_timeout 3 s less 10 %): then REQed, never timed out by nsqd
            await().atMost(Duration.ofSeconds(10)).until(() -> short15s.requeueCount("orders", "nsq-push") >= 5);
            assertEquals(0, short15s.timeoutCount("orders", "nsq-push"));
            assertTrue(short15s.published("orders.dead-letter").isEmpty());
            TestEndpoint back = endpoint(TestEndpoint.start(port));
            await().atMost(Duration.ofSeconds(20)).until(() -> short15s.finCount("orders", "nsq-push") == 5);
            assertTrue(short15s.published("orders.dead-letter").isEmpty());
            assertEquals(5, new HashSet<>(back.headerValues("x-cmq-message-id")).size());
        } finally {
            if (bridge != null) {
                bridge.close();
                bridge = null;
            }
            short15s.close();
        }
    }
}
