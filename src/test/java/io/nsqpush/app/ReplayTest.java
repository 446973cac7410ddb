package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.TestEndpoint;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** replay/replay.yaml moves dead-letter records back to their topic, each once, and the bridge then delivers them. */
class ReplayTest {

    private static String record(String topic, String body, String encoding) {
        return "{\"topic\":\"" + topic + "\",\"channel\":\"nsq-push\",\"msgId\":\"0123456789abcdef\",\"attempts\":5,"
                + "\"publishTime\":1,\"deadTime\":2,\"endpoint\":\"http://x\",\"lastStatus\":500,\"lastError\":\"HTTP 500\","
                + "\"body\":\"" + body + "\",\"bodyEncoding\":\"" + encoding + "\"}";
    }

    @Test
    void replayRepublishesEveryRecordOnceAndTheBridgeDeliversThem() throws Exception {
        byte[] binary = {0, (byte) 0xff, 1};
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start()) {
            nsqd.publish("orders.dead-letter", record("orders", "first", "utf-8"));
            nsqd.publish("orders.dead-letter", record("orders", "second", "utf-8"));
            nsqd.publish("orders.dead-letter", record("orders", Base64.getEncoder().encodeToString(binary), "base64"));

            Main replay = NsqPushMain.create(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                    "camel.main.routes-include-pattern", "file:replay/replay.yaml", "routes.reload-enabled", "false",
                    "camel.management.enabled", "false"));
            replay.start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders.dead-letter", "replay") == 3);
            } finally {
                replay.stop();
            }
            assertEquals(List.of("first", "second"), nsqd.published("orders").subList(0, 2).stream()
                    .map(p -> p.bodyUtf8()).toList());
            assertArrayEquals(binary, nsqd.published("orders").get(2).body());
            assertEquals(3, nsqd.published("orders").size(), "each record once");
            assertEquals(0, nsqd.depth("orders.dead-letter", "replay"));

            try (Bridge bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                    "push.url", endpoint.url("/in"), "push.format", "SIMPLIFIED"))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 3);
            }
            List<String> delivered = endpoint.requests().stream()
                    .map(r -> Base64.getEncoder().encodeToString(r.body())).sorted().toList();
            assertEquals(List.of("first", "second", "\u0000\u00ff\u0001").stream()
                    .map(t -> Base64.getEncoder().encodeToString(t.equals("first") || t.equals("second")
                            ? t.getBytes(java.nio.charset.StandardCharsets.UTF_8) : binary)).sorted().toList(), delivered);
        }
    }
}
