package io.nsqpush.app;

import io.nsqpush.testnsqd.PublishedMessage;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import io.nsqpush.testsupport.FakeLookupd;
import io.nsqpush.testsupport.TestEndpoint;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** replay/replay.yaml moves dead-letter records back to their topic, each once, and the bridge then delivers them. */
class ReplayTest {

    private static String record(String topic, String body, String encoding) {
        return record("0123456789abcdef", topic, body, encoding);
    }

    private static String record(String msgId, String topic, String body, String encoding) {
        return "{\"topic\":\"" + topic + "\",\"channel\":\"nsq-push\",\"msgId\":\"" + msgId + "\",\"attempts\":5,"
                + "\"publishTime\":1,\"deadTime\":2,\"endpoint\":\"http://x\",\"lastStatus\":500,\"lastError\":\"HTTP 500\","
                + "\"body\":\"" + body + "\",\"bodyEncoding\":\"" + encoding + "\"}";
    }

    /** @return the text of every file in the directory, sorted */
    private static List<String> contents(Path directory) throws IOException {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                texts.add(Files.readString(file));
            }
        }
        return texts.stream().sorted().toList();
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Test
    void replayRepublishesEveryRecordOnceAndTheBridgeDeliversThem() throws Exception {
        byte[] binary = {0, (byte) 0xff, 1};
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start()) {
            nsqd.publish("orders.dead-letter", record("orders", "first", "utf-8"));
            nsqd.publish("orders.dead-letter", record("orders", "second", "utf-8"));
            nsqd.publish("orders.dead-letter", record("orders", Base64.getEncoder().encodeToString(binary), "base64"));

            Main replay = NsqPushMain.create(Map.of(), Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                    "camel.main.routes-include-pattern", "file:replay/replay.yaml", "routes.reload-enabled", "false",
                    "camel.management.enabled", "false"));
            replay.start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders.dead-letter", "replay") == 3);
            } finally {
                replay.stop();
            }
            // records are replayed concurrently: compare what was published, in any order
            List<String> expected = List.of(base64("first".getBytes(StandardCharsets.UTF_8)),
                    base64("second".getBytes(StandardCharsets.UTF_8)), base64(binary)).stream().sorted().toList();
            assertEquals(expected, nsqd.published("orders").stream().map(p -> base64(p.body())).sorted().toList(),
                    "each record once, original bytes");
            assertEquals(0, nsqd.depth("orders.dead-letter", "replay"));

            try (Bridge bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                    "push.url", endpoint.url("/in"), "push.format", "SIMPLIFIED"))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 3);
            }
            assertEquals(expected, endpoint.requests().stream().map(r -> base64(r.body())).sorted().toList());
        }
    }

    @Test
    void aRecordThatIsNotOneIsNeverPublishedButLoggedOnceKeptAsideAndFinished(@TempDir Path rejected)
            throws Exception {
        try (TestNsqd nsqd = TestNsqd.start(); TestNsqd elsewhere = TestNsqd.start();
             CapturedLogs logs = CapturedLogs.capture()) {
            // msgId -> record; "not JSON" has none
            Map<String, String> bad = Map.of(
                    "injected00000001", record("injected00000001", "orders?servers=" + elsewhere.address(), "x", "utf-8"),
                    "badtopic00000002", record("badtopic00000002", "bad topic", "x", "utf-8"),
                    "ephemeral0000003", record("ephemeral0000003", "orders#ephemeral", "x", "utf-8"),
                    "loop000000000004", record("loop000000000004", "orders.dead-letter", "x", "utf-8"),
                    "base64xx00000005", record("base64xx00000005", "orders", "not*base64!", "base64"),
                    "not JSON", "{\"topic\":\"orders\", this is not JSON");
            nsqd.publish("orders.dead-letter", record("orders", "good one", "utf-8"));
            bad.values().forEach(record -> nsqd.publish("orders.dead-letter", record));
            nsqd.publish("orders.dead-letter", record("orders", "good two", "utf-8"));

            Main replay = NsqPushMain.create(Map.of(), Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                    "replay.rejected-uri", "file:" + rejected,
                    "camel.main.routes-include-pattern", "file:replay/replay.yaml", "routes.reload-enabled", "false",
                    "camel.management.enabled", "false"));
            replay.start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders.dead-letter", "replay") == 8);
            } finally {
                replay.stop();
            }

            assertEquals(List.of("good one", "good two"), nsqd.published("orders").stream()
                    .map(PublishedMessage::bodyUtf8).sorted().toList(), "only the valid records, once each");
            assertEquals(List.of("orders", "orders"), nsqd.commands("PUB").stream().map(c -> c.arg(0)).toList());
            assertEquals(List.of(), nsqd.commands("MPUB"));
            assertEquals(List.of(), nsqd.commands("DPUB"));
            assertEquals(List.of(), elsewhere.clients(), "the nsqd named in a topic was never contacted");
            assertEquals(2, nsqd.clients().size(), "replay's consumer and one producer for topic orders, nothing more");
            assertEquals(0, nsqd.requeueCount("orders.dead-letter", "replay"));

            for (String msgId : bad.keySet()) {
                String why = msgId.equals("not JSON") ? "not a dead-letter record: it is not JSON" : "msgId=" + msgId;
                assertEquals(1, logs.find(Level.WARN, why).size(), msgId + ": " + logs.lines());
            }
            assertEquals(bad.size(), logs.find(Level.WARN, "Not replayed").size(), logs.lines().toString());
            assertFalse(logs.lines().stream().anyMatch(l -> l.message().contains("not*base64!")), "no body logged");

            assertEquals(bad.values().stream().sorted().toList(), contents(rejected), "each bad record kept as read");
        }
    }

    @Test
    void withOnlyLookupdReplayPublishesToTheNsqdItReadTheRecordFrom() throws Exception {
        try (TestNsqd nsqd = TestNsqd.start(); TestNsqd other = TestNsqd.start();
             FakeLookupd lookupd = FakeLookupd.start()) {
            lookupd.list(nsqd.address(), other.address());
            nsqd.publish("orders.dead-letter", record("orders", "back home", "utf-8"));

            Main replay = NsqPushMain.create(Map.of(), Map.of("nsq.nsqd-tcp-addresses", "",
                    "nsq.lookupd-http-addresses", lookupd.address(),
                    "camel.main.routes-include-pattern", "file:replay/replay.yaml", "routes.reload-enabled", "false",
                    "camel.management.enabled", "false"));
            replay.start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders.dead-letter", "replay") == 1);
            } finally {
                replay.stop();
            }
            assertEquals(List.of("back home"), nsqd.published("orders").stream().map(PublishedMessage::bodyUtf8)
                    .toList());
            assertEquals(List.of(), other.published("orders"));
            assertFalse(lookupd.requests().contains("/nodes"), "the record's nsqd was known: " + lookupd.requests());
        }
    }
}
