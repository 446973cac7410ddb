package io.nsqpush.app;

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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health, Prometheus metrics and the status line, read over HTTP and from the log as an operator would. */
class OperationsTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private TestEndpoint endpoint;
    private Bridge bridge;

    private void bridge(Map<String, String> settings) throws Exception {
        endpoint = TestEndpoint.start();
        bridge = Bridge.on(nsqd, endpoint.url("/push"), Map.of("push.redelivery-delay", "20"), settings);
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, logs);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(bridge.managementUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsDownWhileNsqdIsAwayAndUpWhenItReturns() throws Exception {
        bridge(Map.of("routes.reload-enabled", "false"));
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/observe/health").statusCode() == 200);
        assertTrue(get("/observe/health").body().contains("\"status\": \"UP\"") || get("/observe/health").body()
                .contains("\"status\":\"UP\""), get("/observe/health").body());

        nsqd.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/observe/health").statusCode() == 503);
        nsqd.restart();
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/observe/health").statusCode() == 200);
    }

    @Test
    void metricsCountWhatTheEndpointReceived() throws Exception {
        bridge(Map.of("nsq.max-attempts", "1", "push.redeliveries", "1", "status.interval", "1s"));
        // the first POST of every message fails once; "dead" messages always fail
        Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        endpoint.answer(n -> {
            TestEndpoint.Request request = endpoint.requests().get(n);
            if (request.bodyUtf8().contains("dead")) {
                return 500;
            }
            return seen.merge(request.header("x-cmq-message-id"), 1, Integer::sum) == 1 ? 500 : 200;
        });
        for (int i = 0; i < 5; i++) {
            nsqd.publish("orders", "ok " + i);
        }
        nsqd.publish("orders", "dead 1");
        await().atMost(Duration.ofSeconds(15)).until(() -> nsqd.finCount("orders", "nsq-push") == 6);

        String metrics = get("/observe/metrics").body();
        // what an operator scrapes, in the test's output (target/surefire-reports/*OperationsTest-output.txt)
        metrics.lines().filter(l -> l.startsWith("nsq_push_") && !l.contains("_bucket")).forEach(System.out::println);
        String tags = "channel=\"nsq-push\",topic=\"orders\"";
        assertEquals(5, value(metrics, "nsq_push_delivered_total\\{" + tags + "\\}"), metrics);
        assertEquals(7, value(metrics, "nsq_push_failed_attempts_total\\{channel=\"nsq-push\",endpoint=\""
                + Pattern.quote(endpoint.url("/push")) + "\",status_class=\"5xx\",topic=\"orders\"\\}"),
                "one failure per good message plus two for the dead one, by endpoint");
        assertEquals(0, value(metrics, "nsq_push_paused\\{" + tags + "\\}"));
        assertEquals(0, value(metrics, "nsq_push_pauses_total\\{" + tags + "\\}"));
        assertEquals(0, value(metrics, "nsq_push_held\\{" + tags + "\\}"));
        assertEquals(1, value(metrics, "nsq_push_dead_lettered_total\\{" + tags + "\\}"));
        assertEquals(0, value(metrics, "nsq_push_in_flight\\{" + tags + "\\}"));
        assertEquals(5, value(metrics, "nsq_push_latency_seconds_count\\{" + tags + "\\}"));
        assertEquals(0, value(metrics, "nsq_push_possible_duplicates_total\\{" + tags + "\\}"));
        // what the endpoint saw: 5 x (500, 200) and 2 x 500
        assertEquals(12, endpoint.requests().size());

        await().atMost(Duration.ofSeconds(5)).until(() -> !logs.find(Level.INFO,
                "orders/nsq-push: delivered 5 (").isEmpty());
        String line = logs.find(Level.INFO, "orders/nsq-push: delivered 5 (").get(0).message();
        assertTrue(line.contains("failed attempts 7, requeued 0, dead letters 1, possible duplicates 0"), line);
        // the first line's rate is over the time since the route started (about the 1 s interval): about 5/s,
        // never 5 over the moment between two looks (thousands per second)
        Matcher rate = Pattern.compile("delivered 5 \\(([0-9.]+)/s\\)").matcher(line);
        assertTrue(rate.find() && Double.parseDouble(rate.group(1)) < 50, line);
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(metrics);
        assertTrue(m.find(), series + " not in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }
}
