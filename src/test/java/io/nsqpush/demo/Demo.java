package io.nsqpush.demo;

import io.nsqpush.app.NsqPushMain;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Ports;
import org.apache.camel.main.Main;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The whole flow on a machine without nsqd: the test nsqd, the bridge with the real routes plus demo/*.yaml (a sample
 * receiver on platform-http and a second, SIMPLIFIED subscription), a few messages, then a summary. Run it with
 * {@code mvn -q test-compile exec:exec@demo}. The test nsqd lives in src/test and is never in the runnable jar.
 */
public final class Demo {

    private static final String TOPIC = "demo";

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        try (TestNsqd nsqd = TestNsqd.start()) {
            int httpPort = Ports.free();
            say("test nsqd listening on " + nsqd.address() + "; sample receiver on http://127.0.0.1:" + httpPort);
            Main bridge = NsqPushMain.create(Map.of(), Map.ofEntries(
                    Map.entry("nsq.topic", TOPIC),
                    Map.entry("nsq.channel", "json"),
                    Map.entry("nsq.nsqd-tcp-addresses", nsqd.address()),
                    Map.entry("push.url", "http://127.0.0.1:" + httpPort + "/json"),
                    Map.entry("push.topic-owner", "100015036"),
                    Map.entry("push.tags", "a,b"),
                    Map.entry("nsq.max-attempts", "2"),
                    Map.entry("push.redeliveries", "1"),
                    Map.entry("push.redelivery-delay", "200"),
                    Map.entry("push.requeue-delay", "1000"),
                    Map.entry("routes.reload-enabled", "false"),
                    Map.entry("camel.main.routes-include-pattern", "file:routes/*.yaml,file:demo/*.yaml"),
                    Map.entry("camel.server.enabled", "true"),
                    Map.entry("camel.server.port", String.valueOf(httpPort))));
            bridge.start();
            try {
                // as with real nsqd, a channel only gets what is published after it exists: wait for both subscriptions
                await(Duration.ofSeconds(30), () -> nsqd.channels(TOPIC).containsAll(java.util.List.of("json", "simplified"))
                        && nsqd.connectedClients().stream().filter(c -> c.rdy() > 0).count() >= 3);
                say("publishing 3 messages to topic '" + TOPIC + "'; channel 'json' pushes the JSON envelope to /json,"
                        + " channel 'simplified' the raw body to /simplified; /json rejects the third");
                nsqd.publish(TOPIC, "hello from nsq-push");
                nsqd.publish(TOPIC, "unicode 你好 and \"quotes\"");
                nsqd.publish(TOPIC, "please reject this one");
                boolean done = await(Duration.ofSeconds(60), () -> nsqd.finCount(TOPIC, "json") == 3
                        && nsqd.finCount(TOPIC, "simplified") == 3
                        && nsqd.finCount(TOPIC + ".dead-letter", "viewer") == 1);
                say(done ? "done: 2 JSON and 3 SIMPLIFIED deliveries, 1 dead letter (kept on topic demo.dead-letter)"
                        : "not finished within 60 s: see the log above");
            } finally {
                bridge.stop();
            }
        }
    }

    private static void say(String line) {
        System.out.println("==> " + line);
    }

    private static boolean await(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }

}
