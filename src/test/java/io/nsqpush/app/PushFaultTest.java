package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Faults end to end (real Main and routes): every published message ID reaches the endpoint. */
class PushFaultTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final List<TestEndpoint> endpoints = new ArrayList<>();
    private Bridge bridge;

    private Bridge bridge(String url, Map<String, String> settings) throws Exception {
        bridge = Bridge.on(nsqd, url, Map.of("routes.reload-enabled", "false"), settings);
        return bridge;
    }

    private TestEndpoint endpoint(TestEndpoint endpoint) {
        endpoints.add(endpoint);
        return endpoint;
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoints, nsqd);
    }

    private Set<String> publish(int count) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            ids.add(nsqd.publish("orders", "message " + i));
        }
        return ids;
    }

    private static Set<String> receivedIds(TestEndpoint... endpoints) {
        Set<String> ids = new HashSet<>();
        for (TestEndpoint endpoint : endpoints) {
            ids.addAll(endpoint.headerValues("x-cmq-message-id"));
        }
        return ids;
    }

    @Test
    void nsqdRestartedMidStreamEveryMessageIsDelivered() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start().delay(10));
        bridge(endpoint.url("/push"), Map.of("nsq.max-in-flight", "20",
                "camel.component.nsq.reconnect-delay", "50", "camel.component.nsq.max-reconnect-delay", "200"));
        Set<String> published = publish(300);
        await().atMost(Duration.ofSeconds(20)).until(() -> endpoint.requests().size() >= 60);
        nsqd.stop();
        nsqd.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> receivedIds(endpoint).containsAll(published));
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
    }

    @Test
    void anEndpointSlowerThanTheTimeoutForAWhileCountsFailuresThenDeliversEverything() throws Exception {
        TestEndpoint endpoint = endpoint(TestEndpoint.start());
        endpoint.answer(n -> n < 15 ? TestEndpoint.NO_ANSWER : 200); // the first 15 requests hang
        bridge(endpoint.url("/push"), Map.of("push.timeout", "500", "push.redeliveries", "1",
                "push.redelivery-delay", "50", "push.requeue-delay", "200", "nsq.max-attempts", "10"));
        Set<String> published = publish(20);
        await().atMost(Duration.ofSeconds(30)).until(() -> nsqd.finCount("orders", "nsq-push") == 20);
        Set<String> delivered = new HashSet<>();
        for (TestEndpoint.Request r : endpoint.requests().subList(15, endpoint.requests().size())) {
            delivered.add(r.header("x-cmq-message-id"));
        }
        assertEquals(published, delivered);
        PushMetrics metrics = bridge.context().getRegistry().lookupByNameAndType("pushMetrics", PushMetrics.class);
        PushMetrics.Subscription subscription = metrics.subscriptions().iterator().next();
        assertEquals(15, (long) subscription.failures(endpoint.url("/push"), "timeout").count(),
                "every hung request counted as a timeout");
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
    }

    @Test
    void aOneMebibyteBodyRoundTripsInBothFormats() throws Exception {
        byte[] binary = new byte[1024 * 1024];
        new Random(7).nextBytes(binary);
        String text = "é".repeat(512 * 1024); // 1 MiB of UTF-8
        TestEndpoint simplified = endpoint(TestEndpoint.start());
        TestEndpoint json = endpoint(TestEndpoint.start());
        bridge(simplified.url("/raw"), Map.of("push.format", "SIMPLIFIED", "routes.reload-enabled", "true"));
        addJsonSubscription(json.url("/json"));
        String binaryId = nsqd.publish("orders", binary);
        String textId = nsqd.publish("orders", text.getBytes(StandardCharsets.UTF_8));

        await().atMost(Duration.ofSeconds(30)).until(() -> simplified.requests().size() == 2 && json.requests().size() == 2);
        assertArrayEquals(binary, simplified.requestsFor(binaryId).get(0).body());
        assertEquals(text, simplified.requestsFor(textId).get(0).bodyUtf8());
        JsonNode binaryJson = new ObjectMapper().readTree(json.requestsFor(binaryId).get(0).body());
        assertArrayEquals(binary, Base64.getDecoder().decode(binaryJson.get("msgBody").asText()));
        assertEquals("base64", binaryJson.get("msgBodyEncoding").asText());
        JsonNode textJson = new ObjectMapper().readTree(json.requestsFor(textId).get(0).body());
        assertEquals(text, textJson.get("msgBody").asText());
    }

    @Test
    void anEmptyBodyRoundTripsInBothFormats() throws Exception {
        TestEndpoint simplified = endpoint(TestEndpoint.start());
        TestEndpoint json = endpoint(TestEndpoint.start());
        bridge(simplified.url("/raw"), Map.of("push.format", "SIMPLIFIED", "routes.reload-enabled", "true"));
        addJsonSubscription(json.url("/json"));
        // nsqd refuses to publish an empty body, so it is sent to each subscriber as a frame of its own
        String id = "e0e0e0e0e0e0e0e0";
        for (ClientRecord client : nsqd.connectedClients()) {
            client.sendRaw(TestNsqd.frame(TestNsqd.FRAME_MESSAGE, ByteBuffer.allocate(26)
                    .putLong(System.currentTimeMillis() * 1_000_000L).putShort((short) 1)
                    .put(id.getBytes(StandardCharsets.US_ASCII)).array()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> simplified.requestsFor(id).size() == 1
                && json.requestsFor(id).size() == 1);
        assertEquals(0, simplified.requestsFor(id).get(0).body().length);
        assertEquals("0", simplified.requestsFor(id).get(0).header("content-length"));
        JsonNode body = new ObjectMapper().readTree(json.requestsFor(id).get(0).body());
        assertEquals("", body.get("msgBody").asText());
        assertEquals(id, body.get("msgId").asText());
    }

    /** A second subscription, as a user adds one: a few lines in push.yaml, applied by live reload. */
    private void addJsonSubscription(String url) throws Exception {
        java.nio.file.Path file = bridge.routes().resolve("push.yaml");
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file) + String.join("\n",
                "- templatedRoute:",
                "    routeTemplateRef: nsq-push",
                "    routeId: push-json",
                "    parameters:",
                "      - name: topic",
                "        value: orders",
                "      - name: channel",
                "        value: json",
                "      - name: servers",
                "        value: \"{{nsq.nsqd-tcp-addresses}}\"",
                "      - name: url",
                "        value: " + url,
                "      - name: format",
                "        value: JSON",
                "      - name: deadLetterUri",
                "        value: \"{{dead-letter.uri}}\"", ""));
        // both channels must exist before publishing: a channel only gets what is published after it exists
        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.context().getRoute("push-json") != null
                && nsqd.connectedClients().stream().filter(c -> c.rdy() > 0).map(ClientRecord::channel).distinct()
                .count() == 2);
    }
}
