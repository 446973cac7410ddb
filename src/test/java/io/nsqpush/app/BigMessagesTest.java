package io.nsqpush.app;

import com.sun.net.httpserver.HttpServer;
import io.netty.buffer.ByteBuf;
import io.nsqpush.push.CmqJsonBody;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Ports;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Messages of 1 MB and 4 MB at max-in-flight 200, in the JSON format (the body needs escaping, so a formatted copy
 * sits next to each body), through a bridge JVM of its own with a heap far below 200 of them: the byte budget
 * (a quarter of the heap by default) keeps it alive, and every message is delivered exactly once.
 * Without the budget this bridge dies of OutOfMemoryError within the first few dozen messages: to see it, run with
 * {@code -Dbig-messages.max-in-flight-bytes=1099511627776} (the largest budget, which never bites).
 */
class BigMessagesTest {

    private static final String TOPIC = "big";
    private static final String CHANNEL = "nsq-push";
    private static final String HEAP = "-Xmx96m";
    private static final long BUDGET = (96 << 20) / 4;
    private static final Pattern PUBLISH_TIME = Pattern.compile("\"publishTime\":(\\d+)}$");

    @Test
    void oneMegabyteMessages() throws Exception {
        run(150, 1 << 20);
    }

    @Test
    void fourMegabyteMessages() throws Exception {
        run(40, 4 << 20);
    }

    private static void run(int count, int size) throws Exception {
        Path log = Files.createTempFile("nsq-push-big", ".log");
        try (TestNsqd nsqd = TestNsqd.start(new TestNsqd.Options().maxMsgSize(5 << 20));
             SlowEndpoint endpoint = new SlowEndpoint(2000)) {
            Map<String, Integer> index = new ConcurrentHashMap<>();
            for (int i = 0; i < count; i++) {
                index.put(nsqd.publish(TOPIC, body(i, size)), i);
            }
            Process bridge = launch(log, nsqd, endpoint);
            try {
                AtomicInteger peakInFlight = new AtomicInteger();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    peakInFlight.accumulateAndGet(nsqd.inFlight(TOPIC, CHANNEL), Math::max);
                    return !bridge.isAlive() || nsqd.finCount(TOPIC, CHANNEL) >= count;
                });
                System.out.println(size + " B x " + count + ": peak in flight on nsqd " + peakInFlight
                        + ", peak concurrent POSTs " + endpoint.peakConcurrent);
                String output = Files.readString(log, StandardCharsets.UTF_8);
                assertTrue(bridge.isAlive(), "the bridge died (exit " + (bridge.isAlive() ? "" : bridge.exitValue())
                        + "):\n" + tail(output));
                assertFalse(output.contains("OutOfMemoryError"), tail(output));
                assertEquals(count, nsqd.finCount(TOPIC, CHANNEL));
                // the default budget is a quarter of the heap: about that many bytes' worth reach the route at once
                assertTrue(endpoint.peakConcurrent.get() <= (BUDGET + size - 1) / size + 2,
                        "concurrent POSTs at most " + endpoint.peakConcurrent);
                assertEquals(0, nsqd.requeueCount(TOPIC, CHANNEL), "nothing requeued");
                assertEquals(0, nsqd.timeoutCount(TOPIC, CHANNEL), "nothing timed out on nsqd");
                assertEquals(count, nsqd.deliveries(TOPIC, CHANNEL).size(), "each delivered by nsqd once");
                assertEquals(count, endpoint.received.size(), "one POST per message");
                for (Received request : endpoint.received) {
                    Integer i = index.get(request.id());
                    assertTrue(i != null, "a POST for a message never published: " + request.id());
                    assertEquals(expectedDigest(request, body(i, size)), request.sha256(),
                            "the envelope of " + request.id() + " is exact");
                }
                assertEquals(count, endpoint.received.stream().map(Received::id).distinct().count(),
                        "no message twice");
                assertTrue(endpoint.peakConcurrent.get() > 1, "messages travelled in parallel");
            } finally {
                bridge.destroy();
                bridge.waitFor(30, TimeUnit.SECONDS);
                if (bridge.isAlive()) {
                    bridge.destroyForcibly();
                }
            }
        }
    }

    /** JSON with quotes: escaped in the envelope, so a copy of each body is made while it is sent. */
    private static byte[] body(int i, int size) {
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'x');
        byte[] head = ("{\"n\":" + i + ",\"pad\":\"").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, body, 0, head.length);
        body[size - 2] = '"';
        body[size - 1] = '}';
        return body;
    }

    private static String expectedDigest(Received request, byte[] body) throws Exception {
        ByteBuf envelope = CmqJsonBody.write(1L, TOPIC, CHANNEL, request.id(), body, request.publishTime());
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(envelope.nioBuffer());
            return HexFormat.of().formatHex(digest.digest());
        } finally {
            envelope.release();
        }
    }

    private static Process launch(Path log, TestNsqd nsqd, SlowEndpoint endpoint) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // as ./nsq-push runs it, with a far smaller heap
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms32m", HEAP, "-XX:+ExitOnOutOfMemoryError",
                "-Dcamel.management.port=" + Ports.free(),
                "-Dnsq.topic=" + TOPIC, "-Dnsq.nsqd-tcp-addresses=" + nsqd.address(),
                "-Dnsq.max-in-flight=200",
                "-Dnsq.max-in-flight-bytes=" + System.getProperty("big-messages.max-in-flight-bytes", "0"),
                "-Dpush.url=" + endpoint.url(), "-Dpush.format=JSON",
                "-Dpush.topic-owner=1", "-Droutes.reload-enabled=false", "-Dstatus.interval=0"));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.nsqpush.app.NsqPushMain"));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String tail(String output) {
        return output.length() <= 4000 ? output : output.substring(output.length() - 4000);
    }

    record Received(String id, long publishTime, String sha256) {
    }

    /** Answers 200 after a delay, keeping of each body only its digest and its publishTime. */
    static final class SlowEndpoint implements AutoCloseable {
        final List<Received> received = new CopyOnWriteArrayList<>();
        final AtomicInteger peakConcurrent = new AtomicInteger();
        private final AtomicInteger concurrent = new AtomicInteger();
        private final HttpServer server;
        private final ExecutorService threads = Executors.newFixedThreadPool(256);

        SlowEndpoint(long delayMillis) throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
            server.setExecutor(threads);
            server.createContext("/", exchange -> {
                int now = concurrent.incrementAndGet();
                peakConcurrent.accumulateAndGet(now, Math::max);
                try (InputStream in = exchange.getRequestBody()) {
                    MessageDigest digest = MessageDigest.getInstance("SHA-256");
                    byte[] buffer = new byte[65536];
                    byte[] last = new byte[64];
                    int lastLength = 0;
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        digest.update(buffer, 0, n);
                        int keep = Math.min(n, last.length);
                        int shift = Math.min(lastLength, last.length - keep);
                        System.arraycopy(last, lastLength - shift, last, 0, shift);
                        System.arraycopy(buffer, n - keep, last, shift, keep);
                        lastLength = shift + keep;
                    }
                    Matcher time = PUBLISH_TIME.matcher(new String(last, 0, lastLength, StandardCharsets.US_ASCII));
                    Thread.sleep(delayMillis); // a slow endpoint: messages pile up in the bridge
                    received.add(new Received(exchange.getRequestHeaders().getFirst("x-cmq-message-id"),
                            time.find() ? Long.parseLong(time.group(1)) : -1,
                            HexFormat.of().formatHex(digest.digest())));
                    exchange.sendResponseHeaders(200, -1);
                } catch (Exception e) {
                    exchange.sendResponseHeaders(500, -1);
                } finally {
                    concurrent.decrementAndGet();
                    exchange.close();
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/in";
        }

        @Override
        public void close() {
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
