package io.nsqpush.testnsqd;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.testnsqd.RawNsqClient.Frame;
import io.nsqpush.testnsqd.RawNsqClient.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test nsqd against a raw-socket client: the nsqd behaviour the product's tests rely on. */
class TestNsqdTest {

    private static final String NEGOTIATE = "{\"feature_negotiation\":true}";
    private static final String FAST_TIMEOUT = "{\"feature_negotiation\":true,\"msg_timeout\":1000}";
    private static final Duration SHORT = Duration.ofMillis(400);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private TestNsqd nsqd(TestNsqd.Options options) {
        TestNsqd nsqd = TestNsqd.start(options);
        toClose.add(nsqd);
        return nsqd;
    }

    private TestNsqd nsqd() {
        return nsqd(new TestNsqd.Options());
    }

    private <C extends AutoCloseable> C closing(C client) {
        toClose.add(0, client);
        return client;
    }

    @Test
    void identifyWithFeatureNegotiationAnswersNsqdsJson() throws Exception {
        TestNsqd nsqd = nsqd();
        RawNsqClient client = closing(RawNsqClient.connect(nsqd));
        client.identify("{\"client_id\":\"c1\",\"feature_negotiation\":true,\"msg_timeout\":5000,"
                + "\"heartbeat_interval\":2000}");

        Frame answer = client.readFrame();
        assertEquals(TestNsqd.FRAME_RESPONSE, answer.type());
        Map<?, ?> json = new ObjectMapper().readValue(answer.data(), Map.class);
        assertEquals(2500, json.get("max_rdy_count"));
        assertEquals("1.3.0", json.get("version"));
        assertEquals(900000, json.get("max_msg_timeout"));
        assertEquals(5000, json.get("msg_timeout"));
        assertEquals(false, json.get("tls_v1"));
        assertEquals(false, json.get("snappy"));
        assertEquals(false, json.get("deflate"));
        assertEquals(false, json.get("auth_required"));
        assertTrue(json.containsKey("output_buffer_size") && json.containsKey("output_buffer_timeout"));

        ClientRecord record = nsqd.clients().get(0);
        assertEquals("c1", record.identify().get("client_id"));
        assertEquals(2000, record.heartbeatIntervalMs());
        assertEquals(5000, record.msgTimeoutMs());
        assertEquals(1, record.commands("IDENTIFY").size());

        RawNsqClient plain = closing(RawNsqClient.connect(nsqd));
        plain.identify("{\"client_id\":\"c2\"}");
        assertEquals("OK", plain.readFrame().text());
    }

    @Test
    void invalidIdentifyValuesAreFatalBadBody() {
        TestNsqd nsqd = nsqd();
        RawNsqClient heartbeat = closing(RawNsqClient.connect(nsqd));
        heartbeat.identify("{\"heartbeat_interval\":500}");
        List<Frame> frames = heartbeat.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT);
        assertEquals("E_BAD_BODY IDENTIFY heartbeat interval (500) is invalid", frames.get(0).text());

        RawNsqClient timeout = closing(RawNsqClient.connect(nsqd));
        timeout.identify("{\"msg_timeout\":999}");
        assertEquals("E_BAD_BODY IDENTIFY msg timeout (999) is invalid",
                timeout.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient notJson = closing(RawNsqClient.connect(nsqd));
        notJson.identify("{nope");
        assertEquals("E_BAD_BODY IDENTIFY failed to decode JSON body",
                notJson.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    @Test
    void messageIdsAreNumberedPerTopicAsNsqdsGuidsSoTheyRepeatAcrossTopicsAndNsqdsOfOneNodeId() {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(
                1_700_000_000_000_000_000L);
        TestNsqd nsqd = nsqd(new TestNsqd.Options().nodeId(7).idClock(clock::get));
        TestNsqd sameNode = nsqd(new TestNsqd.Options().nodeId(7).idClock(clock::get));
        // (UnixNano >> 20) - twepoch, << 22 | node id 7 << 12 | sequence, as nsqd/guid.go (computed by hand)
        assertEquals("135950b7e8407000", nsqd.publish("orders", "a"));
        assertEquals("135950b7e8407001", nsqd.publish("orders", "b"));
        assertEquals("135950b7e8407000", nsqd.publish("billing", "c"), "a topic has its own sequence");
        assertEquals("135950b7e8407000", sameNode.publish("orders", "d"), "and so has another nsqd's topic");
        clock.addAndGet(1 << 20);
        assertEquals("135950b7e8807000", nsqd.publish("orders", "e"), "the next tick starts at sequence 0");
        Message first = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "billing", "ch", 1)).readMessage();
        assertEquals("135950b7e8407000", first.id(), "the id as nsqd sends it in the message frame");
        TestNsqd other = nsqd(new TestNsqd.Options().nodeId(8).idClock(clock::get));
        assertEquals("135950b7e8808000", other.publish("orders", "f"), "another node id, another id");
    }

    @Test
    void rdyWindowLimitsUnfinishedMessages() {
        TestNsqd nsqd = nsqd();
        for (int i = 0; i < 5; i++) {
            nsqd.publish("orders", "m" + i);
        }
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "orders", "ch", 2));

        Message first = client.readMessage();
        Message second = client.readMessage();
        assertEquals(List.of("m0", "m1"), List.of(first.bodyUtf8(), second.bodyUtf8()));
        assertEquals(1, first.attempts());
        assertEquals(16, first.id().length());
        assertTrue(first.id().matches("[0-9a-f]{16}"));
        client.expectNoFrame(SHORT);
        assertEquals(3, nsqd.depth("orders", "ch"));
        assertEquals(2, nsqd.inFlight("orders", "ch"));

        client.command("FIN " + first.id());
        assertEquals("m2", client.readMessage().bodyUtf8());
        client.expectNoFrame(SHORT);

        ClientRecord record = nsqd.clients().get(0);
        assertEquals(2, record.maxInFlightSeen());
        assertEquals(2, record.rdy());
        assertEquals(1, nsqd.finCount("orders", "ch"));
        assertEquals(List.of(first.id()), nsqd.commands("FIN").stream().map(c -> c.arg(0)).toList());
    }

    @Test
    void reqRedeliversWithTheNextAttempt() {
        TestNsqd nsqd = nsqd();
        nsqd.publish("t", "hello");
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));

        Message first = client.readMessage();
        assertEquals(1, first.attempts());
        client.command("REQ " + first.id() + " 0");
        Message again = client.readMessage();
        assertEquals(first.id(), again.id());
        assertEquals(2, again.attempts());
        assertEquals(1, nsqd.requeueCount("t", "c"));
        assertEquals(List.of(1, 2), nsqd.deliveries("t", "c").stream().map(DeliveredMessage::attempts).toList());
    }

    @Test
    void messageTimeoutRequeuesAndRedelivers() {
        TestNsqd nsqd = nsqd();
        nsqd.publish("t", "slow");
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, FAST_TIMEOUT, "t", "c", 1));

        Message first = client.readMessage();
        long deliveredAt = System.nanoTime();
        Message again = client.readMessage(Duration.ofSeconds(4));
        long elapsedMs = (System.nanoTime() - deliveredAt) / 1_000_000;

        assertEquals(first.id(), again.id());
        assertEquals(2, again.attempts());
        assertTrue(elapsedMs >= 900, "redelivered after " + elapsedMs + " ms");
        assertEquals(1, nsqd.timeoutCount("t", "c"));

        client.command("FIN " + again.id());
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("t", "c") == 1);
    }

    @Test
    void lateFinAfterTimeoutFailsWithoutClosing() {
        TestNsqd nsqd = nsqd();
        nsqd.publish("t", "slow");
        RawNsqClient slow = closing(RawNsqClient.subscribed(nsqd, FAST_TIMEOUT, "t", "c", 1));
        Message message = slow.readMessage();
        slow.command("RDY 0"); // so the redelivery goes to the other client
        RawNsqClient other = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));

        Message redelivered = other.readMessage(Duration.ofSeconds(4));
        assertEquals(2, redelivered.attempts());
        slow.command("FIN " + message.id());
        Frame error = slow.readFrameSkippingHeartbeats(RawNsqClient.DEFAULT_WAIT);
        assertEquals("E_FIN_FAILED FIN " + message.id() + " failed client does not own message", error.text());
        slow.pub("t", "still open");
        slow.expectResponse("OK");
    }

    @Test
    void touchKeepsAMessagePastItsTimeout() {
        TestNsqd nsqd = nsqd();
        nsqd.publish("t", "long job");
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, FAST_TIMEOUT, "t", "c", 1));
        Message message = client.readMessage();

        for (int i = 0; i < 3; i++) { // 3 x 600 ms > the 1000 ms msg_timeout
            client.expectNoFrame(Duration.ofMillis(600));
            client.command("TOUCH " + message.id());
        }
        client.expectNoFrame(Duration.ofMillis(300));
        client.command("FIN " + message.id());
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("t", "c") == 1);
        assertEquals(0, nsqd.timeoutCount("t", "c"));
        assertEquals(1, nsqd.deliveries("t", "c").size());
        assertEquals(3, nsqd.clients().get(0).commands("TOUCH").size());
    }

    @Test
    void reqDelayIsClampedToMaxReqTimeout() {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().maxReqTimeoutMs(500));
        nsqd.publish("t", "x");
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));
        Message message = client.readMessage();

        long requeuedAt = System.nanoTime();
        client.command("REQ " + message.id() + " 60000");
        client.expectNoFrame(Duration.ofMillis(300));
        Message again = client.readMessage(Duration.ofSeconds(3));
        long elapsedMs = (System.nanoTime() - requeuedAt) / 1_000_000;
        assertEquals(2, again.attempts());
        assertTrue(elapsedMs >= 450 && elapsedMs < 3000, "redelivered after " + elapsedMs + " ms");
    }

    @Test
    void negativeReqTimeoutIsFatal() {
        TestNsqd nsqd = nsqd();
        nsqd.publish("t", "x");
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));
        Message message = client.readMessage();

        client.command("REQ " + message.id() + " -1");
        List<Frame> frames = client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT);
        assertEquals(1, frames.size());
        assertEquals(TestNsqd.FRAME_ERROR, frames.get(0).type());
        assertEquals("E_INVALID REQ could not parse timeout -1", frames.get(0).text());

        ClientRecord record = nsqd.clients().get(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> !record.connected());
        assertTrue(record.closeReason().startsWith("E_INVALID"), record.closeReason());
        assertEquals(List.of(message.id(), "-1"), record.commands("REQ").get(0).args());
        assertEquals(1, nsqd.inFlight("t", "c"), "like nsqd, in-flight messages wait for their timeout");
    }

    @Test
    void rdyAboveMaxIsFatal() {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().maxRdyCount(10));
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 11));
        List<Frame> frames = client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT);
        assertEquals("E_INVALID RDY count 11 out of range 0-10", frames.get(0).text());
    }

    @Test
    void rdyBeforeSubIsFatal() {
        TestNsqd nsqd = nsqd();
        RawNsqClient client = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        client.command("RDY 1");
        assertEquals("E_INVALID cannot RDY in current state",
                client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    @Test
    void finOfUnknownIdIsNotFatal() {
        TestNsqd nsqd = nsqd();
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));
        client.command("FIN 0123456789abcdef");
        Frame error = client.readFrame();
        assertEquals(TestNsqd.FRAME_ERROR, error.type());
        assertEquals("E_FIN_FAILED FIN 0123456789abcdef failed ID not in flight", error.text());

        client.pub("elsewhere", "after the error");
        client.expectResponse("OK");
        assertTrue(nsqd.clients().get(0).connected());
    }

    @Test
    void unknownCommandAndBadNamesAreFatal() {
        TestNsqd nsqd = nsqd();
        RawNsqClient unknown = closing(RawNsqClient.connect(nsqd));
        unknown.command("HELLO");
        assertEquals("E_INVALID invalid command HELLO",
                unknown.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient badTopic = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        badTopic.command("SUB bad!topic c");
        assertEquals("E_BAD_TOPIC SUB topic name \"bad!topic\" is not valid",
                badTopic.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient noHeartbeats = closing(RawNsqClient.identified(nsqd, "{\"heartbeat_interval\":-1}"));
        noHeartbeats.command("SUB t c");
        assertEquals("E_INVALID cannot SUB with heartbeats disabled",
                noHeartbeats.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    @Test
    void heartbeatsAtTheIdentifyIntervalAndSilentClientsAreDropped() {
        TestNsqd nsqd = nsqd();
        String oneSecond = "{\"feature_negotiation\":true,\"heartbeat_interval\":1000}";
        RawNsqClient silent = closing(RawNsqClient.identified(nsqd, oneSecond));
        RawNsqClient answering = closing(RawNsqClient.identified(nsqd, oneSecond));

        long deadline = System.nanoTime() + Duration.ofMillis(3500).toNanos();
        int heartbeats = 0;
        while (System.nanoTime() < deadline) {
            try {
                Frame frame = answering.readFrame(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                assertTrue(frame.isHeartbeat(), frame.toString());
                heartbeats++;
                answering.command("NOP");
            } catch (AssertionError timeUp) {
                if (timeUp.getMessage().startsWith("no frame")) {
                    break;
                }
                throw timeUp;
            }
        }
        assertTrue(heartbeats >= 3, heartbeats + " heartbeats in 3.5 s");

        List<Frame> beforeClose = silent.awaitClosedByServer(Duration.ofSeconds(3));
        assertTrue(beforeClose.stream().allMatch(Frame::isHeartbeat));
        assertTrue(beforeClose.size() >= 1, "heartbeats before the drop: " + beforeClose.size());

        ClientRecord silentRecord = nsqd.clients().get(0);
        ClientRecord answeringRecord = nsqd.clients().get(1);
        await().atMost(Duration.ofSeconds(2)).until(() -> !silentRecord.connected());
        long silentForMs = (silentRecord.closedAtNanos()
                - silentRecord.commands("IDENTIFY").get(0).receivedAtNanos()) / 1_000_000;
        assertTrue(silentForMs >= 1900 && silentForMs < 3000, "dropped after " + silentForMs + " ms");
        assertTrue(silentRecord.closeReason().contains("heartbeat"), silentRecord.closeReason());
        assertTrue(answeringRecord.connected());
        assertTrue(answeringRecord.heartbeatsSent() >= 3);
        assertEquals(List.of(answeringRecord), nsqd.connectedClients());
    }

    @Test
    void clsAnswersCloseWaitAndStopsDelivery() {
        TestNsqd nsqd = nsqd();
        RawNsqClient client = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 5));
        nsqd.publish("t", "one");
        Message inFlight = client.readMessage();

        client.command("CLS");
        client.expectResponse("CLOSE_WAIT");
        nsqd.publish("t", "two");
        client.command("RDY 5"); // ignored after CLS, as in nsqd
        client.expectNoFrame(SHORT);
        assertEquals(1, nsqd.depth("t", "c"));

        client.command("FIN " + inFlight.id());
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("t", "c") == 1);
        assertEquals(0, nsqd.clients().get(0).rdy());
    }

    @Test
    void pubMpubAndDpubAreAcknowledgedAndDelivered() {
        TestNsqd nsqd = nsqd();
        RawNsqClient consumer = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "events", "c", 10));
        RawNsqClient producer = closing(RawNsqClient.identified(nsqd, NEGOTIATE));

        producer.pub("events", "p1");
        producer.expectResponse("OK");
        producer.mpub("events", "m1", "m2", "m3");
        producer.expectResponse("OK");
        Set<String> bodies = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            bodies.add(consumer.readMessage().bodyUtf8());
        }
        assertEquals(Set.of("p1", "m1", "m2", "m3"), bodies);

        long sentAt = System.nanoTime();
        producer.commandWithBody("DPUB events 700", "later".getBytes(StandardCharsets.UTF_8));
        producer.expectResponse("OK");
        Message deferred = consumer.readMessage(Duration.ofSeconds(3));
        long elapsedMs = (System.nanoTime() - sentAt) / 1_000_000;
        assertEquals("later", deferred.bodyUtf8());
        assertTrue(elapsedMs >= 700, "deferred message arrived after " + elapsedMs + " ms");

        List<PublishedMessage> published = nsqd.published("events");
        assertEquals(List.of("PUB", "MPUB", "MPUB", "MPUB", "DPUB"),
                published.stream().map(PublishedMessage::command).toList());
        assertEquals(700, published.get(4).deferMs());
        assertEquals(3, nsqd.commands("MPUB").get(0).bodies().size());
        assertNull(nsqd.commands("MPUB").get(0).body());
    }

    @Test
    void dpubOutOfRangeIsFatal() {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().maxReqTimeoutMs(1000));
        RawNsqClient producer = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        producer.commandWithBody("DPUB t 1001", "x".getBytes(StandardCharsets.UTF_8));
        assertEquals("E_INVALID DPUB timeout 1001 out of range 0-1000",
                producer.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    @Test
    void oversizedAndEmptyPubAreFatalBadMessage() {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().maxMsgSize(100));
        RawNsqClient big = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        big.commandWithBody("PUB t", new byte[101]);
        assertEquals("E_BAD_MESSAGE PUB message too big 101 > 100",
                big.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient empty = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        empty.commandWithBody("PUB t", new byte[0]);
        assertEquals("E_BAD_MESSAGE PUB invalid message body size 0",
                empty.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
        assertEquals(0, nsqd.published("t").size());
    }

    @Test
    void messagesWaitInTheTopicForTheFirstChannelAndEveryChannelGetsACopy() {
        TestNsqd nsqd = nsqd();
        String id = nsqd.publish("t", "early");
        assertEquals(1, nsqd.topicDepth("t"));
        RawNsqClient first = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "a", 1));
        assertEquals(id, first.readMessage().id());

        RawNsqClient second = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "b", 1));
        second.expectNoFrame(SHORT); // the early message went to the first channel only
        String late = nsqd.publish("t", "late");
        assertEquals(late, second.readMessage().id());
        assertEquals(1, nsqd.depth("t", "a")); // its copy waits: channel a's only client is at RDY 1
    }

    @Test
    void channelSharesMessagesAmongSubscribers() {
        TestNsqd nsqd = nsqd();
        RawNsqClient one = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));
        RawNsqClient two = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.clients().stream().allMatch(c -> c.rdy() == 1));
        nsqd.publish("t", "a");
        nsqd.publish("t", "b");
        Set<String> ids = Set.of(one.readMessage().id(), two.readMessage().id());
        assertEquals(2, ids.size());
    }

    @Test
    void stopAndRestartKeepQueuedAndInFlightMessages() {
        TestNsqd nsqd = nsqd();
        int port = nsqd.port();
        List<String> ids = List.of(nsqd.publish("t", "1"), nsqd.publish("t", "2"), nsqd.publish("t", "3"));
        RawNsqClient before = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 1));
        Message inFlight = before.readMessage();
        assertEquals(ids.get(0), inFlight.id());
        assertEquals(2, nsqd.depth("t", "c"));

        nsqd.stop();
        before.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT);
        assertFalse(nsqd.isRunning());
        assertEquals(3, nsqd.depth("t", "c"));
        assertEquals(0, nsqd.inFlight("t", "c"));
        assertEquals("nsqd stopped", nsqd.clients().get(0).closeReason());

        nsqd.restart();
        assertEquals(port, nsqd.port());
        RawNsqClient after = closing(RawNsqClient.subscribed(nsqd, NEGOTIATE, "t", "c", 3));
        List<Message> messages = List.of(after.readMessage(), after.readMessage(), after.readMessage());
        Map<String, Integer> attemptsById = messages.stream()
                .collect(Collectors.toMap(Message::id, Message::attempts));
        assertEquals(Map.of(ids.get(0), 2, ids.get(1), 1, ids.get(2), 1), attemptsById);
        assertEquals(2, nsqd.clients().size());
    }

    @Test
    void testLeversSendRawBytesErrorsAndDisconnect() {
        TestNsqd nsqd = nsqd();
        RawNsqClient client = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        ClientRecord record = nsqd.clients().get(0);

        record.sendRaw(TestNsqd.frame(TestNsqd.FRAME_RESPONSE, "hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals("hello", client.readFrame().text());
        record.sendError("E_SOMETHING non fatal", false);
        assertEquals("E_SOMETHING non fatal", client.readFrame().text());
        record.sendError("E_INVALID fatal", true);
        assertEquals("E_INVALID fatal", client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient second = closing(RawNsqClient.identified(nsqd, NEGOTIATE));
        nsqd.clients().get(1).disconnect();
        second.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT);
        assertEquals("disconnected by the test", nsqd.clients().get(1).closeReason());
    }
}
