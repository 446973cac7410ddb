package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /observe/deliveries on the real bridge's management port, and the dead-letter record's history. */
class DeliveriesEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper mapper = new ObjectMapper();
    private final TestNsqd nsqd = TestNsqd.start();
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd);
    }

    private void bridge(String path, Map<String, String> settings) throws Exception {
        endpoint = TestEndpoint.start();
        bridge = Bridge.on(nsqd, endpoint.url(path), Map.of("push.redeliveries", "1", "push.redelivery-delay", "20ms",
                "push.requeue-delay", "100ms", "routes.reload-enabled", "false"), settings);
    }

    private HttpResponse<String> deliveries(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(bridge.managementUrl() + "/observe/deliveries"
                + (id == null ? "" : "?id=" + URLEncoder.encode(id, StandardCharsets.UTF_8)))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMessageThatFailsTwiceThenSucceedsShowsItsThreeRequestsAndOutcome() throws Exception {
        bridge("/push?token=s3cr3t-t0ken", Map.of("nsq.max-attempts", "3"));
        endpoint.answer(n -> n < 2 ? 500 : 200);
        long before = System.currentTimeMillis();
        String id = nsqd.publish("orders", "hello");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> deliveries(id).body().contains("\"DELIVERED\""));
        long after = System.currentTimeMillis();

        HttpResponse<String> answer = deliveries(id);
        System.out.println(answer.body()); // the README's example
        assertEquals(200, answer.statusCode());
        assertTrue(answer.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        assertFalse(answer.body().contains("s3cr3t"), answer.body());
        JsonNode messages = mapper.readTree(answer.body()).get("messages");
        assertEquals(1, messages.size(), answer.body());
        JsonNode message = messages.get(0);
        String key = endpoint.requests().get(0).header("webhook-id");
        assertEquals(id, message.get("messageId").asText());
        assertEquals(key, message.get("dedupeKey").asText());
        assertEquals("orders", message.get("topic").asText());
        assertEquals("nsq-push", message.get("channel").asText());
        assertEquals("DELIVERED", message.get("outcome").asText());
        assertEquals(3, message.get("requests").asInt());

        // what the endpoint saw, request by request: 500 and its redelivery in attempt 1, REQ, 200 in attempt 2
        List<String> seen = new ArrayList<>();
        long previous = 0;
        for (JsonNode entry : message.get("history")) {
            long time = Instant.parse(entry.get("time").asText()).toEpochMilli();
            assertTrue(time >= before - 1 && time <= after && time >= previous, entry.toString());
            previous = time;
            if (entry.has("outcome")) {
                seen.add(entry.get("attempt").asInt() + " " + entry.get("outcome").asText());
            } else {
                assertEquals(endpoint.url("/push?token=xxxxxx"), entry.get("endpoint").asText());
                assertTrue(entry.get("latencyMs").asLong() >= 0 && entry.get("latencyMs").asLong() < 5_000);
                seen.add(entry.get("attempt").asInt() + "." + entry.get("redelivery").asInt() + " "
                        + entry.get("status").asInt() + " " + entry.get("statusClass").asText() + " "
                        + entry.get("delivered").asBoolean() + " " + entry.path("error").asText("-"));
            }
        }
        assertEquals(List.of("1.0 500 5xx false HTTP 500 Internal Server Error",
                "1.1 500 5xx false HTTP 500 Internal Server Error", "1 REQUEUED", "2.0 200 2xx true -",
                "2 DELIVERED"), seen);
        assertEquals(3, endpoint.requests().size());

        // the dedupe key (webhook-id) finds the same
        assertEquals(answer.body().replace("\"id\" : \"" + id + "\"", ""),
                deliveries(key).body().replace("\"id\" : \"" + key + "\"", ""));
    }

    @Test
    void anUnknownIdIsNotFoundWithAJsonBody() throws Exception {
        bridge("/push", Map.of());
        HttpResponse<String> unknown = deliveries("0000000000000000");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode body = mapper.readTree(unknown.body());
        assertEquals("0000000000000000", body.get("id").asText());
        assertTrue(body.get("error").asText().startsWith("nothing of this id among the 0 latest entries kept"),
                unknown.body());

        HttpResponse<String> none = deliveries(null);
        assertEquals(400, none.statusCode());
        assertTrue(mapper.readTree(none.body()).get("error").asText().contains("?id="), none.body());
    }

    @Test
    void theDeadLetterRecordCarriesTheRequestsOfEveryAttempt() throws Exception {
        bridge("/push?key=abc123", Map.of("nsq.max-attempts", "2"));
        endpoint.answer(n -> 500);
        String id = nsqd.publish("orders", "doomed");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.published("orders.dead-letter").size() == 1);
        JsonNode record = mapper.readTree(nsqd.published("orders.dead-letter").get(0).body());
        JsonNode history = record.get("history");
        List<String> seen = new ArrayList<>();
        for (JsonNode entry : history) {
            seen.add(entry.has("outcome") ? entry.get("attempt").asInt() + " " + entry.get("outcome").asText()
                    : entry.get("attempt").asInt() + "." + entry.get("redelivery").asInt() + " "
                    + entry.get("status").asInt());
        }
        assertEquals(List.of("1.0 500", "1.1 500", "1 REQUEUED", "2.0 500", "2.1 500"), seen, record.toString());
        assertEquals(endpoint.url("/push?key=xxxxxx"), history.get(0).get("endpoint").asText());
        assertFalse(record.toString().contains("abc123"), record.toString());
        assertEquals(4, endpoint.requests().size());

        await().atMost(Duration.ofSeconds(5)).until(() -> deliveries(id).body().contains("DEAD_LETTERED"));
        assertEquals("DEAD_LETTERED", mapper.readTree(deliveries(id).body()).get("messages").get(0)
                .get("outcome").asText());
    }
}
