package io.nsqpush.app;

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
 * An endpoint behind a rate limiter (429 above {@link #LIMIT} requests/s, no Retry-After, as nginx limit_req): the
 * bridge learns the rate, or keeps to push.rate-limit, and the messages wait their turn in flight: nothing requeued,
 * nothing dead-lettered, no pause.
 */
class RateLimitedEndpointTest {

    static final int LIMIT = 100;
    static final int MESSAGES = 600;
    /** The limiter's depth: requests that may come at once after a lull (nginx: burst=10 nodelay). */
    static final int BURST = 10;
    private static final Map<String, String> SETTINGS = Map.of("routes.reload-enabled", "false",
            "nsq.max-in-flight", "200");

    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, logs);
    }

    /** The limiter of the endpoint: a token bucket of LIMIT per second, BURST tokens deep. */
    static final class Limiter {
        private final double rate;
        private final double capacity;
        private double tokens;
        private long at = System.nanoTime();

        Limiter(double rate, double capacity) {
            this.rate = rate;
            this.capacity = capacity;
            this.tokens = capacity;
        }

        synchronized int status(int n) {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + rate * (now - at) / 1e9);
            at = now;
            if (tokens >= 1) {
                tokens--;
                return 200;
            }
            return 429;
        }
    }

    private long refused() {
        return endpoint.requests().size() - delivered();
    }

    private long delivered() {
        return nsqd.finCount("orders", "nsq-push");
    }

    /** Publishes, waits for every FIN; @return the drain time in seconds from the first request */
    private double drain(Map<String, String> settings) throws Exception {
        Limiter limiter = new Limiter(LIMIT, BURST);
        endpoint = TestEndpoint.start().answer(limiter::status);
        for (int i = 0; i < MESSAGES; i++) {
            nsqd.publish("orders", "message " + i);
        }
        bridge = Bridge.on(nsqd, endpoint.url("/push"), SETTINGS, settings);
        await().atMost(Duration.ofSeconds(60)).until(() -> delivered() == MESSAGES);
        List<TestEndpoint.Request> requests = endpoint.requests();
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"), "nothing requeued for waiting");
        assertEquals(0, nsqd.timeoutCount("orders", "nsq-push"), "nothing timed out while waiting");
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
        assertTrue(logs.find(Level.WARN, "Pausing").isEmpty(), "a busy endpoint pauses nothing: " + logs.lines());
        long first = requests.get(0).receivedAtNanos();
        long last = requests.get(requests.size() - 1).receivedAtNanos();
        return (last - first) / 1e9;
    }

    @Test
    void theAdaptiveRateConvergesBelowTheLimitWithFewRefusals() throws Exception {
        double seconds = drain(Map.of());
        long refused = refused();
        double ideal = (MESSAGES - BURST) / (double) LIMIT;
        System.out.printf("adaptive: %d refused of %d requests, drained in %.2f s (ideal %.2f s)%n", refused,
                endpoint.requests().size(), seconds, ideal);
        assertTrue(refused <= MESSAGES / 10, "at most 10 % refused: " + refused);
        assertTrue(seconds <= 1.5 * ideal, "drained within 1.5x the ideal time: " + seconds);
        // the rate it settled on: requests (accepted or not) over the last half of the drain
        List<TestEndpoint.Request> requests = endpoint.requests();
        long end = requests.get(requests.size() - 1).receivedAtNanos();
        long from = end - (long) (seconds / 2 * 1e9);
        long late = requests.stream().filter(r -> r.receivedAtNanos() >= from).count();
        double rate = late / (seconds / 2);
        assertTrue(rate < LIMIT * 1.1, "converged below 1.1x the limit: " + rate + " r/s");
        assertEquals(1, logs.find(Level.INFO, "Slowing requests to http://127.0.0.1:" + endpoint.port()
                + "/push (route push): it refused with 429").size(), logs.lines().toString());
    }

    @Test
    void withARateLimitNothingIsRefused() throws Exception {
        double seconds = drain(Map.of("push.rate-limit", String.valueOf(LIMIT)));
        long refused = refused();
        double ideal = (MESSAGES - BURST) / (double) LIMIT;

        System.out.printf("rate-limit: %d refused of %d requests, drained in %.2f s (ideal %.2f s)%n", refused,
                endpoint.requests().size(), seconds, ideal);
        assertTrue(refused <= MESSAGES / 100, "at most 1 % refused: " + refused);
        assertTrue(seconds <= 1.1 * ideal, "drained within 1.1x the ideal time: " + seconds);
        assertTrue(seconds >= 0.95 * ideal, "no faster than the limit: " + seconds);
        String metrics = metrics();
        assertTrue(metrics.contains("nsq_push_rate_limit{channel=\"nsq-push\",topic=\"orders\"} 100.0"), metrics);
        assertTrue(metrics.contains("nsq_push_requests_waiting{channel=\"nsq-push\",topic=\"orders\"} 0.0"),
                metrics);
    }

    private String metrics() throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(bridge.managementUrl() + "/observe/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void concurrencyCapsTheRequestsAtOnce() throws Exception {
        endpoint = TestEndpoint.start().delay(20);
        for (int i = 0; i < 60; i++) {
            nsqd.publish("orders", "message " + i);
        }
        bridge = Bridge.on(nsqd, endpoint.url("/push"), SETTINGS, Map.of("push.concurrency", "3"));
        await().atMost(Duration.ofSeconds(30)).until(() -> delivered() == 60);
        assertEquals(3, endpoint.maxConcurrent(), "never more than 3 at once, and 3 used");
        assertEquals(60, endpoint.requests().size());
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
        String metrics = metrics();
        assertTrue(metrics.contains("nsq_push_concurrency_limit{channel=\"nsq-push\",topic=\"orders\"} 3.0"),
                metrics);
    }
}
