package io.nsqpush.app;

import io.nsqpush.push.DedupeKey;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.RealNsqd;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dedupe key (webhook-id) names one message and only it, where nsqd's ids repeat: many topics published at the
 * same instant, two nsqds with one node id; and every request for one message, retries and REQs included, carries
 * the same key. The bridge is the real one, a subscription (the nsq-push template) per topic, SIMPLIFIED, one URL.
 */
class DedupeDeliveryTest {

    private static final String CHANNEL = "nsq-push";
    private final List<AutoCloseable> closing = new ArrayList<>();
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint);
        Closing.closeAll(closing.toArray(AutoCloseable[]::new));
    }

    private static List<String> topics(int count) {
        return IntStream.range(0, count).mapToObj(i -> String.format("topic%02d", i)).toList();
    }

    /** The bridge on these nsqds with a subscription per topic, all to one URL in SIMPLIFIED. */
    private void bridge(String nsqds, List<String> topics, Map<String, String> settings) throws Exception {
        StringBuilder routes = new StringBuilder();
        for (String topic : topics.subList(1, topics.size())) {
            routes.append("- templatedRoute:\n    routeTemplateRef: nsq-push\n    routeId: push-").append(topic)
                    .append("\n    parameters:\n      - {name: topic, value: ").append(topic).append("}\n");
        }
        Map<String, String> all = new HashMap<>(Map.of("nsq.topic", topics.get(0), "nsq.channel", CHANNEL,
                "nsq.nsqd-tcp-addresses", nsqds, "push.url", endpoint.url("/push"), "push.format", "SIMPLIFIED",
                "routes.reload-enabled", "false"));
        all.putAll(settings);
        bridge = Bridge.start(all, Map.of("topics.yaml", routes.toString()));
    }

    @Test
    void manyTopicsAtOneInstantOnTwoNsqdsOfOneNodeIdGetAKeyEachAndEveryRetryTheSameKey() throws Exception {
        // one clock held still: every topic of both nsqds numbers its messages 0, 1, 2, ... in the same tick
        AtomicLong instant = new AtomicLong(System.currentTimeMillis() * 1_000_000L);
        TestNsqd first = TestNsqd.start(new TestNsqd.Options().nodeId(512).idClock(instant::get));
        TestNsqd second = TestNsqd.start(new TestNsqd.Options().nodeId(512).idClock(instant::get));
        closing.add(first);
        closing.add(second);
        List<String> topics = topics(8);
        int perTopic = 12;
        // body -> what identifies its message at nsqd: address, topic, id
        Map<String, List<String>> published = new HashMap<>();
        for (TestNsqd nsqd : List.of(first, second)) {
            for (String topic : topics) {
                for (int i = 0; i < perTopic; i++) {
                    String body = nsqd.port() + "/" + topic + "/" + i;
                    published.put(body, List.of(nsqd.address(), topic, nsqd.publish(topic, body)));
                }
            }
        }
        int total = 2 * topics.size() * perTopic;
        Set<String> ids = published.values().stream().map(m -> m.get(2)).collect(Collectors.toSet());
        assertEquals(perTopic, ids.size(), "nsqd's ids repeat: " + total + " messages, " + ids.size() + " ids");

        // a message whose body ends in /0 fails 3 times: its attempt's request and 2 redeliveries, then nsqd's REQ
        Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();
        endpoint = TestEndpoint.start();
        endpoint.answer(n -> {
            String body = endpoint.requests().get(n).bodyUtf8();
            int tried = tries.computeIfAbsent(body, b -> new AtomicInteger()).getAndIncrement();
            return body.endsWith("/0") && tried < 3 ? 500 : 200;
        });
        bridge(first.address() + "," + second.address(), topics, Map.of("push.requeue-delay", "100ms",
                "push.redelivery-delay", "50ms"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> List.of(first, second).stream().allMatch(
                    nsqd -> topics.stream().allMatch(t -> nsqd.finCount(t, CHANNEL) == perTopic)));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not every message was finished; the endpoint got " + endpoint.requests().size()
                    + " requests", e);
        }

        Map<String, List<Request>> byBody = endpoint.requests().stream().collect(Collectors.groupingBy(
                Request::bodyUtf8));
        assertEquals(published.keySet(), byBody.keySet(), "every message delivered");
        Set<String> keys = new HashSet<>();
        for (Map.Entry<String, List<Request>> message : byBody.entrySet()) {
            List<String> at = published.get(message.getKey());
            List<Request> requests = message.getValue();
            assertEquals(message.getKey().endsWith("/0") ? 4 : 1, requests.size(), message.getKey());
            String key = DedupeKey.of(at.get(0), at.get(1), at.get(2));
            for (Request request : requests) {
                assertEquals(key, request.header("webhook-id"), "every try of " + message.getKey() + ", the same key");
                assertEquals(at.get(2), request.header("x-cmq-message-id"), "nsqd's own id");
                assertEquals(at.get(1), request.header("x-cmq-topic-name"));
            }
            keys.add(key);
        }
        assertEquals(total, keys.size(), "a key per message");
        for (TestNsqd nsqd : List.of(first, second)) {
            for (String topic : topics) {
                assertEquals(1, nsqd.requeueCount(topic, CHANNEL), "the /0 message of " + topic + " was REQed once");
            }
        }
    }

    /** @return for a failure message: the topics with messages not delivered, and what nsqd says of them */
    private String whereTheRestIs(RealNsqd nsqd, List<String> topics, int perTopic) {
        Set<String> delivered = endpoint.requests().stream().map(Request::bodyUtf8).collect(Collectors.toSet());
        StringBuilder where = new StringBuilder();
        for (String topic : topics) {
            List<String> missing = IntStream.range(0, perTopic).mapToObj(i -> topic + "/" + i)
                    .filter(body -> !delivered.contains(body)).toList();
            if (!missing.isEmpty()) {
                where.append(topic).append(": not delivered ").append(missing.size() > 5 ? missing.size()
                        : missing).append(", nsqd ").append(nsqd.channel(topic, CHANNEL)).append("; ");
            }
        }
        return where.length() == 0 ? "every body arrived (nsqd still had some in flight or queued)" : where.toString();
    }

    /** The burst, against real nsqd 1.3: 50 topics × 200 messages, published at once, to one URL. */
    @Test
    void fiftyTopicsPublishedAtOnceToRealNsqdGetAKeyPerMessage() throws Exception {
        RealNsqd nsqd = RealNsqd.start();
        closing.add(nsqd);
        List<String> topics = topics(50);
        int perTopic = 200;
        topics.forEach(topic -> nsqd.createChannel(topic, CHANNEL));
        endpoint = TestEndpoint.start();
        bridge(nsqd.tcpAddress(), topics, Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.stream().allMatch(topic -> nsqd.channel(topic,
                CHANNEL).map(c -> c.clients().size() == 1).orElse(false)));

        ExecutorService publishers = Executors.newFixedThreadPool(topics.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (String topic : topics) {
                List<String> bodies = IntStream.range(0, perTopic).mapToObj(i -> topic + "/" + i).toList();
                done.add(publishers.submit(() -> {
                    go.await();
                    nsqd.publishAll(topic, bodies);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> each : done) {
                each.get();
            }
        } finally {
            publishers.shutdownNow();
        }
        int total = topics.size() * perTopic;
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> endpoint.requests().size() >= total
                    && topics.stream().allMatch(topic -> nsqd.channel(topic, CHANNEL).map(c -> c.depth() == 0
                    && c.inFlightCount() == 0).orElse(false)));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the endpoint got " + endpoint.requests().size() + " of " + total + "; "
                    + whereTheRestIs(nsqd, topics, perTopic), e);
        }

        List<Request> requests = endpoint.requests();
        assertEquals(total, requests.size(), "each message once");
        Set<String> bodies = requests.stream().map(Request::bodyUtf8).collect(Collectors.toSet());
        assertEquals(total, bodies.size());
        Set<String> ids = requests.stream().map(r -> r.header("x-cmq-message-id")).collect(Collectors.toSet());
        Set<String> keys = new HashSet<>();
        for (Request request : requests) {
            String topic = request.header("x-cmq-topic-name");
            assertTrue(request.bodyUtf8().startsWith(topic + "/"), request.bodyUtf8() + " from " + topic);
            assertEquals(DedupeKey.of(nsqd.tcpAddress(), topic, request.header("x-cmq-message-id")),
                    request.header("webhook-id"));
            keys.add(request.header("webhook-id"));
        }
        System.out.println("50-topic burst on real nsqd: " + total + " messages, " + ids.size()
                + " distinct x-cmq-message-id (" + (total - ids.size()) + " repeated), " + keys.size()
                + " distinct webhook-id (" + (total - keys.size()) + " repeated)");
        assertEquals(total, keys.size(), "keys repeat " + (total - keys.size()) + " times");
    }
}
