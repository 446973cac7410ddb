package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.Version;
import io.nsqpush.component.NsqConsumer;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.RealNsqd;
import io.nsqpush.testsupport.RealNsqd.ChannelStats;
import io.nsqpush.testsupport.RealNsqd.ClientStats;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole bridge against NSQ's own nsqd and nsqlookupd (v1.3.0), not the test nsqd: what the real nsqd counted
 * (/stats) and what the endpoint received. Skipped, saying so, where nsqd is not on PATH (CI, a fresh machine).
 */
class RealNsqdTest {

    private static final String TOPIC = "orders";
    private static final String CHANNEL = "nsq-push";
    private static final String DEAD_LETTERS = TOPIC + ".dead-letter";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RealNsqd nsqd;
    /** A second nsqd, for discovery. */
    private RealNsqd other;
    private RealNsqd.Lookupd lookupd;
    private TestEndpoint endpoint;
    private Bridge bridge;

    @BeforeEach
    void nsqdIsInstalled() {
        RealNsqd.assumeInstalled("nsqd");
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, other, lookupd);
    }

    /** The bridge on the real nsqd, pushing to the endpoint; the settings win. */
    private Bridge bridge(Map<String, String> settings) throws Exception {
        return bridge(endpoint.url("/push"), settings);
    }

    private Bridge bridge(String url, Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>();
        all.put("nsq.topic", TOPIC);
        all.put("nsq.channel", CHANNEL);
        all.put("nsq.nsqd-tcp-addresses", nsqd == null ? "" : nsqd.tcpAddress());
        all.put("push.url", url);
        all.put("routes.reload-enabled", "false");
        all.putAll(settings);
        bridge = Bridge.start(all);
        return bridge;
    }

    private ChannelStats channel() {
        return nsqd.channel(TOPIC, CHANNEL).orElseThrow(() -> new AssertionError("no channel " + CHANNEL + " at nsqd"));
    }

    /** Waits until the bridge's connection shows in nsqd's /stats, and returns it. */
    private ClientStats awaitClient() {
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.channel(TOPIC, CHANNEL)
                .map(c -> c.clients().size() == 1).orElse(false));
        return channel().clients().get(0);
    }

    /** Waits until nsqd counted this many FINs on the channel and holds nothing more for it. */
    private ChannelStats awaitFinished(long count, Duration within) {
        try {
            await().atMost(within).until(() -> nsqd.channel(TOPIC, CHANNEL).map(c -> c.finishCount() == count
                    && c.depth() == 0 && c.inFlightCount() == 0 && c.deferredCount() == 0).orElse(false));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("nsqd did not count " + count + " FINs with nothing left within " + within
                    .toSeconds() + " s: " + nsqd.topic(TOPIC) + "; " + DEAD_LETTERS + ": " + nsqd.topic(DEAD_LETTERS)
                    + "; the endpoint received " + (endpoint == null ? 0 : endpoint.requests().size()) + " requests", e);
        }
        return channel();
    }

    private static List<String> bodies(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + " " + i).toList();
    }

    private static JsonNode json(byte[] body) throws IOException {
        return JSON.readTree(body);
    }

    /** @return the id nsqd gave the message with this body, as the endpoint received it */
    /** @return the dedupe key (webhook-id) of the message with this body, as the endpoint received it */
    private String keyOf(String body) throws IOException {
        for (Request request : endpoint.requests()) {
            if (json(request.body()).get("msgBody").asText().equals(body)) {
                return request.header("webhook-id");
            }
        }
        throw new AssertionError("the endpoint never received " + body);
    }

    private String idOf(String body) throws IOException {
        for (Request request : endpoint.requests()) {
            if (json(request.body()).get("msgBody").asText().equals(body)) {
                return request.header("x-cmq-message-id");
            }
        }
        throw new AssertionError("the endpoint never received " + body);
    }

    private void assertEachDeliveredOnce(List<String> bodies) throws IOException {
        Map<String, Long> byBody = new HashMap<>();
        for (Request request : endpoint.requests()) {
            String body = json(request.body()).get("msgBody").asText();
            if (bodies.contains(body)) {
                byBody.merge(body, 1L, Long::sum);
            }
        }
        for (String body : bodies) {
            assertEquals(1L, byBody.getOrDefault(body, 0L), "requests for " + body);
        }
    }

    private static long millisBetween(Request earlier, Request later) {
        return (later.receivedAtNanos() - earlier.receivedAtNanos()) / 1_000_000;
    }

    private static void assertBetween(long min, long max, long actual, String what) {
        assertTrue(actual >= min && actual <= max, what + ": " + actual + " ms, expected " + min + ".." + max);
    }

    @Test
    void everyMessageIsDeliveredOnceAndFinishedAtNsqd() throws Exception {
        nsqd = RealNsqd.start();
        nsqd.createChannel(TOPIC, CHANNEL);
        endpoint = TestEndpoint.start();
        bridge(Map.of());
        ClientStats client = awaitClient();
        assertEquals(Version.userAgent(), client.userAgent(), "nsqd took the bridge's IDENTIFY");
        List<String> bodies = bodies("message", 50);
        long before = System.currentTimeMillis() / 1000;
        nsqd.publishAll(TOPIC, bodies);
        long after = System.currentTimeMillis() / 1000;

        ChannelStats channel = awaitFinished(50, Duration.ofSeconds(20));
        assertEquals(50, channel.messageCount());
        assertEquals(0, channel.requeueCount());
        assertEquals(0, channel.timeoutCount());
        assertEquals(50, channel.clients().get(0).messageCount(), "nsqd sent each message once");
        List<Request> requests = endpoint.requests();
        assertEquals(50, requests.size());
        Set<String> ids = requests.stream().map(r -> r.header("x-cmq-message-id")).collect(Collectors.toSet());
        assertEquals(50, ids.size(), "a distinct nsqd message id on every request: " + ids);
        Set<String> received = new HashSet<>();
        for (Request request : requests) {
            assertEquals("POST", request.method());
            assertEquals("/push", request.path());
            JsonNode envelope = json(request.body());
            assertEquals(TOPIC, envelope.get("topicName").asText(), request.bodyUtf8());
            assertEquals(CHANNEL, envelope.get("subscriptionName").asText(), request.bodyUtf8());
            assertEquals(request.header("x-cmq-message-id"), envelope.get("msgId").asText(), request.bodyUtf8());
            assertTrue(envelope.get("msgId").asText().matches("[0-9a-f]{16}"), "nsqd's own ids: " + request.bodyUtf8());
            long publishTime = envelope.get("publishTime").asLong();
            assertTrue(publishTime >= before && publishTime <= after, "publishTime from nsqd's timestamp: "
                    + request.bodyUtf8());
            received.add(envelope.get("msgBody").asText());
        }
        assertEquals(new HashSet<>(bodies), received);
    }

    @Test
    void aMessageThatKeepsFailingIsRequeuedAtNsqdThenDeadLetteredThereOnceAndFinished() throws Exception {
        nsqd = RealNsqd.start();
        nsqd.createChannel(TOPIC, CHANNEL);
        endpoint = TestEndpoint.start();
        endpoint.answer(n -> endpoint.requests().get(n).bodyUtf8().contains("poison") ? 500 : 200);
        nsqd.awaitQueueScan(); // else nsqd may hold a REQed message up to 5 s longer (its scan list refresh)
        bridge(Map.of("push.redeliveries", "1", "push.redelivery-delay", "50ms", "push.requeue-delay", "100ms",
                "nsq.max-attempts", "3"));
        awaitClient();
        List<String> others = bodies("fine", 9);
        nsqd.publish(TOPIC, "poison");
        nsqd.publishAll(TOPIC, others);

        ChannelStats channel = awaitFinished(10, Duration.ofSeconds(20));
        assertEquals(2, channel.requeueCount(), "REQ after attempts 1 and 2; attempt 3 dead-letters");
        assertEquals(0, channel.timeoutCount());
        assertEquals(1, nsqd.messageCount(DEAD_LETTERS), "published once to " + DEAD_LETTERS);
        String poison = idOf("poison");
        List<Request> posts = endpoint.requestsFor(poison);
        assertEquals(6, posts.size(), "3 attempts x (1 POST + 1 redelivery)");
        // nsqd kept it deferred as long as each REQ asked (100 ms, then 200 ms), give or take its 100 ms scan tick
        assertBetween(100, 1_000, millisBetween(posts.get(1), posts.get(2)), "REQ 100ms");
        assertBetween(200, 1_100, millisBetween(posts.get(3), posts.get(4)), "REQ 200ms");
        assertEachDeliveredOnce(others);

        // read back with NSQ's own nsq_tail, as an operator would: one record, one line
        List<String> tailed = nsqd.tail(DEAD_LETTERS, 1, Duration.ofSeconds(15));
        assertEquals(1, tailed.size(), "nsq_tail printed " + tailed);
        String deadLetter = tailed.get(0);
        JsonNode record = JSON.readTree(deadLetter);
        assertEquals(poison, record.get("msgId").asText(), deadLetter);
        assertEquals("poison", record.get("body").asText(), deadLetter);
        assertEquals(TOPIC, record.get("topic").asText(), deadLetter);
        assertEquals(CHANNEL, record.get("channel").asText(), deadLetter);
        assertEquals(3, record.get("attempts").asInt(), deadLetter);
        assertEquals(500, record.get("lastStatus").asInt(), deadLetter);
        assertEquals(1, nsqd.messageCount(DEAD_LETTERS), "still one record");
    }

    @Test
    void anOutageLongerThanTheAttemptBudgetPausesAtNsqdAndDeadLettersNothing() throws Exception {
        nsqd = RealNsqd.start();
        nsqd.createChannel(TOPIC, CHANNEL);
        TestEndpoint gone = TestEndpoint.start();
        int port = gone.port();
        gone.close(); // connection refused from now on
        bridge("http://127.0.0.1:" + port + "/push", Map.of("push.pause", "100ms", "push.max-pause", "500ms",
                "nsq.max-attempts", "2", "push.redeliveries", "1", "push.redelivery-delay", "50ms",
                "push.requeue-delay", "100ms", "push.max-requeue-delay", "200ms", "nsq.max-in-flight", "10"));
        awaitClient();
        List<String> bodies = bodies("waiting", 30);
        nsqd.publishAll(TOPIC, bodies);

        // paused as nsqd sees it: RDY 0 with the window's messages held in flight
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ChannelStats c = channel();
            return c.clients().size() == 1 && c.clients().get(0).readyCount() == 0 && c.inFlightCount() > 0;
        });
        NsqConsumer consumer = (NsqConsumer) bridge.context().getRoute("push").getConsumer();
        assertTrue(consumer.isPaused(), "the bridge calls itself paused");
        // far longer than 2 attempts 100 ms apart: nothing is requeued, timed out or dead-lettered meanwhile
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> {
            ChannelStats c = channel();
            return c.requeueCount() == 0 && c.timeoutCount() == 0 && nsqd.messageCount(DEAD_LETTERS) == 0
                    && c.clients().get(0).readyCount() <= 1;
        });

        endpoint = TestEndpoint.start(port);
        ChannelStats channel = awaitFinished(30, Duration.ofSeconds(20));
        assertEquals(0, channel.requeueCount());
        assertEquals(0, channel.timeoutCount());
        assertEquals(30, channel.messageCount());
        assertEquals(30, channel.clients().get(0).messageCount(), "nsqd sent each message once");
        assertEquals(0, nsqd.messageCount(DEAD_LETTERS), "no dead letter");
        assertEquals(30, endpoint.requests().size());
        assertEachDeliveredOnce(bodies);
        await().atMost(Duration.ofSeconds(5)).until(() -> !consumer.isPaused());
    }

    @Test
    void discoveredThroughLookupdItDeliversAndDeadLettersToTheNsqdTheMessageCameFrom() throws Exception {
        lookupd = RealNsqd.Lookupd.start();
        nsqd = RealNsqd.startWith(lookupd);
        other = RealNsqd.startWith(lookupd);
        nsqd.createChannel(TOPIC, CHANNEL);
        other.createChannel(TOPIC, CHANNEL);
        await().atMost(Duration.ofSeconds(10)).until(() -> lookupd.producers(TOPIC)
                .containsAll(List.of(nsqd.tcpAddress(), other.tcpAddress())));
        endpoint = TestEndpoint.start();
        endpoint.answer(n -> endpoint.requests().get(n).bodyUtf8().contains("bad request") ? 400 : 200);
        List<String> good = bodies("found", 5);
        List<String> goodElsewhere = bodies("found elsewhere", 5);
        nsqd.publishAll(TOPIC, good);
        nsqd.publish(TOPIC, "bad request");
        other.publishAll(TOPIC, goodElsewhere);

        bridge(Map.of("nsq.nsqd-tcp-addresses", "", "nsq.lookupd-http-addresses", lookupd.httpAddress(),
                "push.dead-letter-on", "400"));
        ChannelStats channel = awaitFinished(6, Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(10)).until(() -> other.channel(TOPIC, CHANNEL).map(c -> c.finishCount() == 5
                && c.depth() == 0 && c.inFlightCount() == 0).orElse(false));
        assertEquals(1, channel.clients().size(), "the bridge found this nsqd through lookupd");
        assertEquals(0, channel.requeueCount());
        assertEquals(1, nsqd.messageCount(DEAD_LETTERS), "the dead letter is kept where its message came from");
        assertEquals(0, other.messageCount(DEAD_LETTERS), "and not on the other nsqd");
        assertEachDeliveredOnce(good);
        assertEachDeliveredOnce(goodElsewhere);
        String bad = idOf("bad request");
        // both nsqds have this host's node id: nsqd's id may name a message of the other nsqd too, the key does not
        String key = keyOf("bad request");
        assertEquals(1, endpoint.requests().stream().filter(r -> key.equals(r.header("webhook-id"))).count(),
                "400 is never retried");

        JsonNode record = json(nsqd.read(DEAD_LETTERS, "inspect", 1, Duration.ofSeconds(5)).get(0).body());
        assertEquals(bad, record.get("msgId").asText(), record.toString());
        assertEquals(key, record.get("dedupeKey").asText(), record.toString());
        assertEquals(nsqd.tcpAddress(), record.get("nsqd").asText(), record.toString());
        assertEquals("bad request", record.get("body").asText(), record.toString());
        assertEquals(400, record.get("lastStatus").asInt(), record.toString());
        assertEquals(1, record.get("attempts").asInt(), record.toString());
        // the dead-letter topic, created on that nsqd, is announced by it like any other
        await().atMost(Duration.ofSeconds(10)).until(() -> lookupd.producers(DEAD_LETTERS)
                .equals(List.of(nsqd.tcpAddress())));
    }

    @Test
    void aSlowAnswerIsKeptAliveWithTouchPastNsqdsMsgTimeout() throws Exception {
        nsqd = RealNsqd.start("--msg-timeout=2s");
        nsqd.createChannel(TOPIC, CHANNEL);
        nsqd.awaitQueueScan(); // else nsqd would not look for timed-out messages of the channel for up to 5 s
        endpoint = TestEndpoint.start().delay(3_000);
        // the bridge's IDENTIFY sends msg_timeout (60s by default), which replaces nsqd's --msg-timeout for it
        bridge(Map.of("push.timeout", "5s", "push.redeliveries", "0", "nsq.msg-timeout", "2s"));
        ClientStats client = awaitClient();
        // else a 60 s msg_timeout would pass this test without a single TOUCH
        assertEquals(List.of("2000"), nsqd.identifies().stream().filter(i -> i.get("remote")
                .equals(client.remoteAddress())).map(i -> i.get("MsgTimeout")).toList(), "nsqd took msg_timeout 2s");
        nsqd.publish(TOPIC, "take your time");

        ChannelStats channel = awaitFinished(1, Duration.ofSeconds(15));
        assertEquals(0, channel.timeoutCount(), "TOUCH kept it: nsqd never timed it out");
        assertEquals(0, channel.requeueCount());
        assertEquals(1, channel.clients().get(0).messageCount(), "nsqd sent it once");
        assertEquals(1, endpoint.requests().size(), "delivered once");
    }

    @Test
    void anNsqdThatAppearsLaterIsFoundThroughLookupdAndConsumed() throws Exception {
        lookupd = RealNsqd.Lookupd.start();
        endpoint = TestEndpoint.start();
        // lookupd knows no producer of the topic yet (it answers 404): the bridge starts anyway and keeps polling
        bridge(endpoint.url("/push"), Map.of("nsq.lookupd-http-addresses", lookupd.httpAddress(), "nsq.lookupd-poll-interval", "1s"));
        assertEquals(List.of(), lookupd.producers(TOPIC));

        nsqd = RealNsqd.startWith(lookupd);
        nsqd.createChannel(TOPIC, CHANNEL);
        await().atMost(Duration.ofSeconds(10)).until(() -> lookupd.producers(TOPIC).equals(List.of(nsqd.tcpAddress())));
        List<String> bodies = bodies("late", 10);
        nsqd.publishAll(TOPIC, bodies);

        ChannelStats channel = awaitFinished(10, Duration.ofSeconds(20));
        assertEquals(1, channel.clients().size(), "found through lookupd");
        assertEquals(0, channel.requeueCount());
        assertEachDeliveredOnce(bodies);
    }

    @Test
    void anNsqdRestartMidStreamLosesNothing() throws Exception {
        nsqd = RealNsqd.start();
        nsqd.createChannel(TOPIC, CHANNEL);
        endpoint = TestEndpoint.start().delay(50);
        int maxInFlight = 5;
        bridge(Map.of("nsq.max-in-flight", String.valueOf(maxInFlight), "push.redeliveries", "0"));
        awaitClient();
        List<String> bodies = bodies("restarted", 60);
        nsqd.publishAll(TOPIC, bodies);
        await().atMost(Duration.ofSeconds(20)).until(() -> endpoint.requests().size() >= 10);

        nsqd.restart(); // SIGTERM: nsqd writes its queue and what was in flight to disk, and reads it back
        assertTrue(nsqd.channel(TOPIC, CHANNEL).map(ChannelStats::depth).orElse(0L) > 0, "messages survived the"
                + " restart at nsqd: " + nsqd.topic(TOPIC));
        // the restarted nsqd's counters start at 0: it holds nothing more once the bridge has taken everything
        await().atMost(Duration.ofSeconds(30)).until(() -> nsqd.channel(TOPIC, CHANNEL).map(c -> c.clients().size()
                == 1 && c.depth() == 0 && c.inFlightCount() == 0 && c.deferredCount() == 0).orElse(false));
        Map<String, Long> byBody = new HashMap<>();
        for (Request request : endpoint.requests()) {
            byBody.merge(json(request.body()).get("msgBody").asText(), 1L, Long::sum);
        }
        assertEquals(new HashSet<>(bodies), byBody.keySet(), "every message delivered");
        long duplicates = endpoint.requests().size() - bodies.size();
        assertTrue(duplicates <= maxInFlight, duplicates + " duplicates: more than were in flight at the restart");
        assertEquals(0, nsqd.messageCount(DEAD_LETTERS), "no dead letter");
    }
}
