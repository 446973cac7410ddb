package io.nsqpush.app;

import io.nsqpush.Version;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.RealNsqd;
import io.nsqpush.testsupport.RealNsqd.ChannelStats;
import io.nsqpush.testsupport.RealNsqd.ClientStats;
import io.nsqpush.testsupport.RealNsqd.Message;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What goes over the wire between the bridge and NSQ's own nsqd (v1.3.0), read back from nsqd itself: the requests
 * each format makes of nsqd's messages, byte for byte; the IDENTIFY nsqd logged, options set
 * component-wide included; RDY within --max-rdy-count; snappy and deflate as nsqd granted them. One nsqd for the
 * class, a topic per test. Skipped, saying so, where nsqd is not installed; fails there with NSQ_PUSH_REAL_NSQD=required.
 */
class RealNsqdWireTest {

    private static final String CHANNEL = "nsq-push";
    private static final int MAX_RDY_COUNT = 40;
    private static final AtomicLong TOPICS = new AtomicLong();

    private static RealNsqd nsqd;

    private TestEndpoint endpoint;
    private Bridge bridge;
    private String topic;

    /** One nsqd for the class where it is installed; each test skips (or fails, when required) without it. */
    @BeforeAll
    static void startNsqd() throws Exception {
        if (RealNsqd.binary("nsqd").isPresent()) {
            nsqd = RealNsqd.start("--max-rdy-count=" + MAX_RDY_COUNT);
        }
    }

    @BeforeEach
    void nsqdIsInstalled() {
        RealNsqd.assumeInstalled("nsqd");
    }

    @AfterAll
    static void stopNsqd() {
        if (nsqd != null) {
            nsqd.close();
        }
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint);
    }

    /** A fresh topic with the bridge's channel on it, and an endpoint answering 200. */
    private void freshTopic() throws Exception {
        topic = "wire-" + TOPICS.incrementAndGet();
        nsqd.createChannel(topic, CHANNEL);
        nsqd.createChannel(topic, "witness"); // nsqd's own copy of every message, read back with a raw consumer
        endpoint = TestEndpoint.start();
    }

    private void bridge(Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>();
        all.put("nsq.topic", topic);
        all.put("nsq.channel", CHANNEL);
        all.put("nsq.nsqd-tcp-addresses", nsqd.tcpAddress());
        all.put("push.url", endpoint.url("/push"));
        all.put("routes.reload-enabled", "false");
        all.putAll(settings);
        bridge = Bridge.start(all);
    }

    private ClientStats awaitClient() {
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.channel(topic, CHANNEL)
                .map(c -> c.clients().size() == 1).orElse(false));
        return channel().clients().get(0);
    }

    private ChannelStats channel() {
        return nsqd.channel(topic, CHANNEL).orElseThrow(() -> new AssertionError("no channel at nsqd"));
    }

    private ChannelStats awaitFinished(long count) {
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> nsqd.channel(topic, CHANNEL).map(c ->
                    c.finishCount() == count && c.depth() == 0 && c.inFlightCount() == 0).orElse(false));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("nsqd did not count " + count + " FINs: " + nsqd.topic(topic) + "; the endpoint"
                    + " received " + endpoint.requests().size(), e);
        }
        return channel();
    }

    /** @return the IDENTIFY of this connection as nsqd logged it (by the address it came from) */
    private static Map<String, String> identifyOf(ClientStats client) {
        List<Map<String, String>> all = nsqd.identifies().stream()
                .filter(i -> client.remoteAddress().equals(i.get("remote"))).toList();
        assertEquals(1, all.size(), "IDENTIFYs of " + client + " in nsqd's log: " + nsqd.identifies());
        return all.get(0);
    }

    /** The messages as nsqd handed them out on the witness channel, by id. */
    private Map<String, Message> witnessed(int count) {
        return nsqd.read(topic, "witness", count, Duration.ofSeconds(10)).stream()
                .collect(Collectors.toMap(Message::id, m -> m));
    }

    private Request requestFor(String id) {
        List<Request> requests = endpoint.requestsFor(id);
        assertEquals(1, requests.size(), "requests for " + id);
        return requests.get(0);
    }

    @Test
    void jsonIsByteExactForWhatNsqdSent() throws Exception {
        freshTopic();
        bridge(Map.of("push.format", "JSON", "push.topic-owner", "100015036"));
        awaitClient();
        String tricky = "h\u00e9llo \u4f60\u597d \ud83d\ude00 \"quoted\" back\\slash\nline2\r\ttab\u0001 </script>";
        nsqd.publish(topic, tricky);
        nsqd.publish(topic, "plain text");
        byte[] notUtf8 = {'a', (byte) 0xff, (byte) 0xfe, 0, '\n', 'z'};
        nsqd.publish(topic, notUtf8);
        awaitFinished(3);

        Map<String, Message> sent = witnessed(3);
        assertEquals(3, endpoint.requests().size());
        for (Message message : sent.values()) {
            Request request = requestFor(message.id());
            long publishTime = message.timestampNanos() / 1_000_000_000L;
            String head = "{\"TopicOwner\":100015036,\"topicName\":\"" + topic + "\",\"subscriptionName\":\"" + CHANNEL
                    + "\",\"msgId\":\"" + message.id() + "\",\"msgBody\":\"";
            String expected;
            if (message.bodyUtf8().equals(tricky)) {
                expected = head + "h\u00e9llo \u4f60\u597d \ud83d\ude00 \\\"quoted\\\" back\\\\slash\\nline2\\r\\ttab"
                        + "\\u0001 </script>\",\"publishTime\":" + publishTime + "}";
            } else if (message.bodyUtf8().equals("plain text")) {
                expected = head + "plain text\",\"publishTime\":" + publishTime + "}";
            } else {
                assertArrayEquals(notUtf8, message.body());
                expected = head + Base64.getEncoder().encodeToString(notUtf8)
                        + "\",\"msgBodyEncoding\":\"base64\",\"publishTime\":" + publishTime + "}";
            }
            assertEquals(expected, new String(request.body(), StandardCharsets.UTF_8));
            assertEquals("POST", request.method());
            assertEquals(message.id(), request.header("x-cmq-message-id"));
            assertEquals("text/plain", request.header("content-type"));
            assertEquals(Version.userAgent(), request.header("user-agent"));
        }
    }

    @Test
    void simplifiedSendsNsqdsBodyBytesAsTheyAre() throws Exception {
        freshTopic();
        bridge(Map.of("push.format", "SIMPLIFIED", "push.tags", "a,b"));
        awaitClient();
        List<byte[]> bodies = List.of("text \u4f60\u597d\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {0, 1, 2, (byte) 0xff, '\r', '\n', (byte) 0x80}, new byte[] {'{', '}'});
        bodies.forEach(b -> nsqd.publish(topic, b));
        awaitFinished(3);

        for (Message message : witnessed(3).values()) {
            Request request = requestFor(message.id());
            assertArrayEquals(message.body(), request.body(), message.toString());
            assertEquals(message.id(), request.header("x-cmq-message-id"));
            assertEquals("a, b", request.header("x-cmq-message-tag"));
            assertEquals("text/plain", request.header("content-type"));
        }
    }

    @Test
    void nsqdLoggedTheIdentifyOfOptionsSetComponentWide() throws Exception {
        freshTopic();
        String clientId = "wire-identify";
        bridge(Map.of("camel.component.nsq.msg-timeout", "45s", "camel.component.nsq.heartbeat-interval", "20s",
                "camel.component.nsq.output-buffer-timeout", "100ms", "camel.component.nsq.client-id", clientId,
                "camel.component.nsq.user-agent", "wire-test/1.0"));
        ClientStats client = awaitClient();
        nsqd.publish(topic, "identified");
        awaitFinished(1);

        Map<String, String> identify = identifyOf(client);
        assertEquals("45000", identify.get("MsgTimeout"), identify.toString());
        assertEquals("20000", identify.get("HeartbeatInterval"), identify.toString());
        assertEquals("100", identify.get("OutputBufferTimeout"), identify.toString());
        assertEquals("wire-test/1.0", identify.get("UserAgent"), identify.toString());
        assertEquals("true", identify.get("FeatureNegotiation"), identify.toString());
        assertEquals("false", identify.get("TLSv1"), identify.toString());
        assertEquals("false", identify.get("Snappy"), identify.toString());
        assertEquals("false", identify.get("Deflate"), identify.toString());
        assertEquals(clientId, client.clientId());
        assertEquals("wire-test/1.0", client.userAgent());
        assertEquals(identify.get("Hostname"), client.hostname());
    }

    @Test
    void nsqdLoggedTheIdentifyOfTheSettingsAndTheDefaults() throws Exception {
        freshTopic();
        bridge(Map.of("nsq.msg-timeout", "50s"));
        ClientStats client = awaitClient();
        Map<String, String> identify = identifyOf(client);
        assertEquals("50000", identify.get("MsgTimeout"), identify.toString());
        assertEquals("30000", identify.get("HeartbeatInterval"), "the documented default: " + identify);
        assertEquals("25", identify.get("OutputBufferTimeout"), "the documented default: " + identify);
        assertEquals(Version.userAgent(), identify.get("UserAgent"), identify.toString());
        assertEquals(Version.userAgent(), client.userAgent());
    }

    @Test
    void rdyStaysWithinNsqdsMaxRdyCountAndFillsIt() throws Exception {
        freshTopic();
        endpoint.delay(100); // so that the window fills
        bridge(Map.of("nsq.max-in-flight", "200"));
        awaitClient();
        int count = 200;
        nsqd.publishAll(topic, IntStream.range(0, count).mapToObj(i -> "rdy " + i).toList());

        List<Long> ready = new ArrayList<>();
        List<Long> inFlight = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            ChannelStats c = channel();
            c.clients().forEach(k -> {
                ready.add(k.readyCount());
                inFlight.add(k.inFlightCount());
            });
            return c.finishCount() == count && c.depth() == 0 && c.inFlightCount() == 0;
        });
        assertTrue(ready.stream().allMatch(r -> r <= MAX_RDY_COUNT), "RDY seen at nsqd: " + ready);
        assertTrue(inFlight.stream().allMatch(n -> n <= MAX_RDY_COUNT), "in flight at nsqd: " + inFlight);
        assertTrue(ready.contains((long) MAX_RDY_COUNT), "RDY reached max_rdy_count: " + ready);
        assertEquals(1, channel().clients().size(), "the same connection throughout");
        assertEquals(count, channel().clients().get(0).messageCount(), "never reconnected, each message once");
        assertFalse(nsqd.log().contains("RDY count"), "nsqd never refused a RDY: " + nsqd.log());
    }

    private void compressed(String compression, Map<String, String> more) throws Exception {
        freshTopic();
        String clientId = "wire-" + compression;
        Map<String, String> settings = new HashMap<>(more);
        settings.put("camel.component.nsq.compression", compression);
        settings.put("camel.component.nsq.client-id", clientId);
        settings.put("push.format", "SIMPLIFIED");
        bridge(settings);
        ClientStats client = awaitClient();
        assertEquals(compression.equals("snappy"), client.snappy(), client.toString());
        assertEquals(compression.equals("deflate"), client.deflate(), client.toString());
        // enough bytes for compression to matter, and a body that does not compress
        byte[] random = new byte[20_000];
        new java.util.Random(7).nextBytes(random);
        List<byte[]> bodies = new ArrayList<>();
        bodies.add(random);
        IntStream.range(0, 50).forEach(i -> bodies.add(("compressed " + i + " ").repeat(200)
                .getBytes(StandardCharsets.US_ASCII)));
        bodies.forEach(b -> nsqd.publish(topic, b));
        awaitFinished(bodies.size());

        Map<String, Message> sent = witnessed(bodies.size());
        assertEquals(bodies.size(), endpoint.requests().size());
        for (Message message : sent.values()) {
            assertArrayEquals(message.body(), requestFor(message.id()).body(), message.id());
        }
        Set<String> received = endpoint.requests().stream().map(r -> r.header("x-cmq-message-id"))
                .collect(Collectors.toSet());
        assertEquals(sent.keySet(), received);
        Map<String, String> identify = identifyOf(client);
        assertEquals(String.valueOf(compression.equals("snappy")), identify.get("Snappy"), identify.toString());
        assertEquals(String.valueOf(compression.equals("deflate")), identify.get("Deflate"), identify.toString());
        if (compression.equals("deflate")) {
            assertEquals("3", identify.get("DeflateLevel"), identify.toString());
        }
    }

    @Test
    void snappyAsNsqdGrantedIt() throws Exception {
        compressed("snappy", Map.of());
    }

    @Test
    void deflateAsNsqdGrantedIt() throws Exception {
        compressed("deflate", Map.of("camel.component.nsq.deflate-level", "3"));
    }
}
