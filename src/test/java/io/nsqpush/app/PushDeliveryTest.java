package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.Version;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.PublishedMessage;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.CapturedLogs.Level;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real Main, the real YAML routes, the test nsqd and a real HTTP endpoint. */
class PushDeliveryTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private TestEndpoint endpoint;
    private Bridge bridge;

    private Bridge bridge(Map<String, String> settings) throws Exception {
        endpoint = TestEndpoint.start();
        bridge = Bridge.on(nsqd, endpoint.url("/push"), Map.of("push.redelivery-delay", "50",
                "push.requeue-delay", "100", "push.topic-owner", "100015036"), settings);
        return bridge;
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, logs);
    }

    @Test
    void jsonEnvelopeAndHeadersExactly() throws Exception {
        bridge(Map.of("push.tags", "a,b", "push.headers", "X-Env: prod; Authorization: Bearer abc"));
        String body = "quote \" backslash \\ newline \n tab \t 中文 ✓";
        long before = System.currentTimeMillis() / 1000;
        String id = nsqd.publish("orders", body);
        long after = System.currentTimeMillis() / 1000;

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 1);
        Request request = endpoint.requests().get(0);
        assertEquals("POST", request.method());
        assertEquals("/push", request.path());
        String expected = "{\"TopicOwner\":100015036,\"topicName\":\"orders\",\"subscriptionName\":\"nsq-push\",\"msgId\":\""
                + id + "\",\"msgBody\":\"quote \\\" backslash \\\\ newline \\n tab \\t 中文 ✓\",\"publishTime\":";
        assertEquals(expected, request.bodyUtf8().substring(0, expected.length()));
        String tail = request.bodyUtf8().substring(expected.length());
        assertTrue(tail.endsWith("}"), tail);
        long publishTime = Long.parseLong(tail.substring(0, tail.length() - 1));
        assertTrue(publishTime >= before && publishTime <= after, "publishTime " + publishTime);
        assertEquals(String.valueOf(request.body().length), request.header("content-length"));
        assertEquals(Version.userAgent(), request.header("user-agent"));
        assertEquals(32, request.header("x-cmq-request-id").length());
        assertEquals("prod", request.header("x-env"));
        assertEquals("Bearer abc", request.header("authorization"));
        assertTrue(request.headers().keySet().stream().noneMatch(h -> h.startsWith("camel")), request.headers().toString());
        assertEquals(id, request.header("x-cmq-message-id"));
        assertEquals("a, b", request.header("x-cmq-message-tag"));
        assertEquals("text/plain", request.header("content-type"));
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
    }

    @Test
    void simplifiedSendsTheBodyByteForByte() throws Exception {
        bridge(Map.of("push.format", "SIMPLIFIED"));
        byte[] body = new byte[256];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        String id = nsqd.publish("orders", body);

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 1);
        Request request = endpoint.requests().get(0);
        assertArrayEquals(body, request.body());
        assertEquals(id, request.header("x-cmq-message-id"));
        assertNull(request.header("x-cmq-message-tag"), "no tags configured, no tag header");
        assertEquals("text/plain", request.header("content-type"));
    }

    @Test
    void aBodyThatIsNotUtf8IsSentAsBase64InJson() throws Exception {
        bridge(Map.of());
        byte[] body = {(byte) 0xc3, (byte) 0x28, 'a', (byte) 0xff};
        nsqd.publish("orders", body);

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 1);
        JsonNode json = new ObjectMapper().readTree(endpoint.requests().get(0).body());
        assertEquals("base64", json.get("msgBodyEncoding").asText());
        assertArrayEquals(body, Base64.getDecoder().decode(json.get("msgBody").asText()));
    }

    @Test
    void failedThenOkIsDeliveredOnceWithANewRequestIdPerPostAndNoDeadLetter() throws Exception {
        bridge(Map.of());
        endpoint.answer(n -> n == 0 ? 500 : 200);
        String id = nsqd.publish("orders", "retry me");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        List<Request> posts = endpoint.requestsFor(id);
        assertEquals(2, posts.size());
        assertEquals(posts.get(0).bodyUtf8(), posts.get(1).bodyUtf8(), "the same envelope re-POSTed");
        assertEquals(2, new HashSet<>(endpoint.headerValues("x-cmq-request-id")).size(), "a new request id per POST");
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
        assertTrue(logs.find(Level.ERROR, "").isEmpty(), logs.find(Level.ERROR, "").toString());
    }

    @Test
    void alwaysFailingIsRequeuedWithGrowingDelayThenDeadLetteredOnceAndFinished() throws Exception {
        bridge(Map.of("nsq.max-attempts", "3", "push.redeliveries", "1"));
        endpoint.answer(n -> 500);
        String id = nsqd.publish("orders", "never accepted");

        await().atMost(Duration.ofSeconds(15)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        // 3 attempts by nsqd x (1 POST + 1 in-process redelivery)
        assertEquals(6, endpoint.requestsFor(id).size());
        assertEquals(6, new HashSet<>(endpoint.headerValues("x-cmq-request-id")).size());
        List<Command> reqs = nsqd.commands("REQ");
        assertEquals(List.of("100", "200"), reqs.stream().map(c -> c.arg(1)).toList(), "REQ delay doubles");
        assertEquals(1, logs.find(Level.ERROR, "Dead letter: topic=orders channel=nsq-push msgId=" + id).size(),
                logs.lines().toString());
        assertEquals(1, logs.find(Level.ERROR, "").size(), "exactly one error line: " + logs.find(Level.ERROR, ""));
        assertEquals(2, logs.find(Level.WARN, "Delivery failed").size());

        List<PublishedMessage> deadLetters = nsqd.published("orders.dead-letter");
        assertEquals(1, deadLetters.size());
        JsonNode record = new ObjectMapper().readTree(deadLetters.get(0).body());
        assertEquals("never accepted", record.get("body").asText());
        assertEquals("utf-8", record.get("bodyEncoding").asText());
        assertEquals(id, record.get("msgId").asText());
        assertEquals("orders", record.get("topic").asText());
        assertEquals("nsq-push", record.get("channel").asText());
        assertEquals(3, record.get("attempts").asInt());
        assertEquals(500, record.get("lastStatus").asInt());
        assertEquals("HTTP 500", record.get("lastError").asText().substring(0, 8));
        assertEquals(endpoint.url("/push"), record.get("endpoint").asText());
        assertTrue(record.get("deadTime").asLong() >= record.get("publishTime").asLong());
        // kept before FIN: the FIN is the last command about this message
        List<Command> fin = nsqd.commands("FIN");
        assertTrue(fin.get(0).receivedAtNanos() > deadLetters.get(0).receivedAtNanos());
    }

    @Test
    void anEndpointThatNeverAnswersFailsAtTheTimeout() throws Exception {
        bridge(Map.of("push.timeout", "1000", "push.redeliveries", "0", "nsq.max-attempts", "1"));
        endpoint.answer(n -> TestEndpoint.NO_ANSWER);
        long start = System.nanoTime();
        String id = nsqd.publish("orders", "into the void");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.published("orders.dead-letter").size() == 1);
        long tookMs = Duration.ofNanos(nsqd.published("orders.dead-letter").get(0).receivedAtNanos() - start).toMillis();
        assertTrue(tookMs >= 1000 && tookMs < 5000, "failed after " + tookMs + " ms");
        JsonNode record = new ObjectMapper().readTree(nsqd.published("orders.dead-letter").get(0).body());
        assertTrue(record.get("lastStatus").isNull());
        assertEquals("no complete answer within 1s", record.get("lastError").asText());
        assertEquals(1, endpoint.requestsFor(id).size());
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
    }

    @Test
    void aRefusedConnectionTakesTheSamePath() throws Exception {
        TestEndpoint closed = TestEndpoint.start();
        String deadUrl = closed.url("/push");
        closed.close();
        bridge(Map.of("push.url", deadUrl, "push.redeliveries", "1", "nsq.max-attempts", "2"));
        String id = nsqd.publish("orders", "nobody home");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.published("orders.dead-letter").size() == 1);
        JsonNode record = new ObjectMapper().readTree(nsqd.published("orders.dead-letter").get(0).body());
        assertTrue(record.get("lastError").asText().contains("refused"), record.get("lastError").asText());
        assertEquals(id, record.get("msgId").asText());
        assertEquals(List.of("100"), nsqd.commands("REQ").stream().map(c -> c.arg(1)).toList());
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
    }

    @Test
    void aDeadLetterThatCannotBeKeptIsRequeuedNotFinished() throws Exception {
        bridge(Map.of("nsq.max-attempts", "1", "push.redeliveries", "0",
                "dead-letter.uri", "file:/proc/nsq-push-cannot-write-here"));
        endpoint.answer(n -> 500);
        String id = nsqd.publish("orders", "keep me");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.commands("REQ").size() >= 1);
        assertEquals(id, nsqd.commands("REQ").get(0).arg(0));
        assertEquals(0, nsqd.finCount("orders", "nsq-push"));
    }

    @Test
    void anEditedRouteFileTakesEffectWithoutARestart() throws Exception {
        bridge(Map.of());
        String first = nsqd.publish("orders", "before the edit");
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(first).size() == 1);
        assertTrue(endpoint.requestsFor(first).get(0).bodyUtf8().startsWith("{\"TopicOwner\""));
        Object consumerBefore = bridge.context().getRoute("push").getConsumer();

        Path subscriptions = bridge.routes().resolve("push.yaml");
        String yaml = Files.readString(subscriptions);
        assertTrue(yaml.endsWith("value: \"{{nsq.topic}}\"\n"), yaml);
        Files.writeString(subscriptions, yaml + "      - name: format\n        value: SIMPLIFIED\n");

        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.context().getRoute("push") != null
                && bridge.context().getRoute("push").getConsumer() != consumerBefore
                && bridge.context().getRouteController().getRouteStatus("push").isStarted());
        String second = nsqd.publish("orders", "after the edit");
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(second).size() == 1);
        assertEquals("after the edit", endpoint.requestsFor(second).get(0).bodyUtf8());
        assertFalse(logs.lines().stream().anyMatch(l -> l.level() == Level.ERROR), logs.lines().toString());
    }

    @Test
    void postsGoThroughTheConfiguredProxy() throws Exception {
        endpoint = TestEndpoint.start(); // plays the proxy: answers in place of the endpoint
        String proxy = endpoint.url("").substring("http://".length());
        bridge = Bridge.on(nsqd, "http://endpoint.invalid:8080/push", Map.of("push.proxy", proxy));
        String id = nsqd.publish("orders", "via the proxy");

        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(id).size() == 1);
        assertEquals("http://endpoint.invalid:8080/push", endpoint.requestsFor(id).get(0).path(),
                "a proxy gets the absolute URL");
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
    }
}
