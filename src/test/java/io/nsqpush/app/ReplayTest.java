package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.TestEndpoint;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** replay/replay.yaml moves dead-letter records back to their topic, each once, and the bridge then delivers them. */
class ReplayTest {

    private static String record(String topic, String body, String encoding) {
        return "{\"topic\":\"" + topic + "\",\"channel\":\"nsq-push\",\"msgId\":\"0123456789abcdef\",\"attempts\":5,"
                + "\"publishTime\":1,\"deadTime\":2,\"endpoint\":\"http://x\",\"lastStatus\":500,\"lastError\":\"HTTP 500\","
                + "\"body\":\"" + body + "\",\"bodyEncoding\":\"" + encoding + "\"}";
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
}
