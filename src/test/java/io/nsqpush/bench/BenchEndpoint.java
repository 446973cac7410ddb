package io.nsqpush.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's HTTP endpoint, in a JVM of its own: answers every POST with 200 after a delay, records when each
 * request arrived and, when the message body is a publish timestamp, the end-to-end latency.
 * <p>
 * A delayed answer is completed by a scheduler thread (HttpExchange may be answered from any thread), so 200 requests
 * waiting 20 ms hold no thread each. Usage: {@code BenchEndpoint [port] [latencyMs]}; prints {@code ready <port>}.
 * <ul>
 *   <li>{@code POST /anything}: recorded, answered 200 with an empty body after the current latency</li>
 *   <li>{@code GET /config?latency=N}: sets the latency (ms)</li>
 *   <li>{@code GET /reset}: forgets everything recorded</li>
 *   <li>{@code GET /stats}: one JSON object, see {@link Recorder#json()}</li>
 * </ul>
 */
public final class BenchEndpoint {

    /** A SIMPLIFIED body that is the timestamp itself, or the JSON envelope's msgBody holding it. */
    private static final Pattern TIMESTAMP = Pattern.compile("^\\s*(\\d{12,14})\\s*$|\"msgBody\":\"(\\d{12,14})\"");

    private final Recorder recorder = new Recorder();
    private final ScheduledExecutorService answerer = Executors.newSingleThreadScheduledExecutor();
    private volatile int latencyMs;

    private BenchEndpoint(int latencyMs) {
        this.latencyMs = latencyMs;
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        BenchEndpoint endpoint = new BenchEndpoint(args.length > 1 ? Integer.parseInt(args[1]) : 0);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.createContext("/", endpoint::handle);
        // two handler threads only read small bodies and never wait: the delay is the scheduler's business
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
        System.out.println("ready " + server.getAddress().getPort());
        System.out.flush();
    }

    private void handle(HttpExchange exchange) throws IOException {
        long nanos = System.nanoTime();
        long millis = System.currentTimeMillis();
        try {
            if ("POST".equals(exchange.getRequestMethod())) {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                recorder.record(millis, nanos, publishTime(body));
                int delay = latencyMs;
                if (delay <= 0) {
                    answer(exchange, 200, "");
                } else {
                    answerer.schedule(() -> answer(exchange, 200, ""), delay, TimeUnit.MILLISECONDS);
                }
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String query = String.valueOf(exchange.getRequestURI().getQuery());
            switch (path) {
                case "/config" -> {
                    if (query.startsWith("latency=")) {
                        latencyMs = Integer.parseInt(query.substring("latency=".length()));
                    }
                    answer(exchange, 200, "{\"latencyMs\":" + latencyMs + "}");
                }
                case "/reset" -> {
                    recorder.reset();
                    answer(exchange, 200, "{}");
                }
                case "/stats" -> answer(exchange, 200, recorder.json());
                default -> answer(exchange, 404, "");
            }
        } catch (RuntimeException e) {
            answer(exchange, 500, String.valueOf(e));
        }
    }

    /** The publisher's epoch-millis timestamp carried in the body, or -1. */
    private static long publishTime(byte[] body) {
        if (body.length > 4096) {
            return -1;
        }
        Matcher m = TIMESTAMP.matcher(new String(body, StandardCharsets.UTF_8));
        if (!m.find()) {
            return -1;
        }
        return Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2));
    }

    private static void answer(HttpExchange exchange, int status, String text) {
        try {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
        } catch (IOException e) {
            // the client went away; nothing to record
        } finally {
            exchange.close();
        }
    }

    /** What arrived since the last reset. Growable arrays under one lock: a few million entries at most. */
    static final class Recorder {
        private static final int MAX_ENTRIES = 20_000_000;
        private long[] receipts = new long[1 << 16];
        private long[] latencies = new long[1 << 10];
        private int count;
        private int latencyCount;
        private long firstMillis;
        private long lastMillis;

        synchronized void record(long millis, long nanos, long publishMillis) {
            if (count == MAX_ENTRIES) {
                return; // bounded: a run this long is not a benchmark any more
            }
            if (count == 0) {
                firstMillis = millis;
            }
            lastMillis = millis;
            if (count == receipts.length) {
                receipts = Arrays.copyOf(receipts, count * 2);
            }
            receipts[count++] = nanos;
            if (publishMillis > 0) {
                if (latencyCount == latencies.length) {
                    latencies = Arrays.copyOf(latencies, latencyCount * 2);
                }
                latencies[latencyCount++] = millis - publishMillis;
            }
        }

        synchronized void reset() {
            count = 0;
            latencyCount = 0;
            firstMillis = 0;
            lastMillis = 0;
        }

        /**
         * count, firstMs/lastMs (epoch ms of the first and last receipt), rate (count over first..last receipt),
         * steadyRate (the receipts between the 10th and the 90th percentile of arrival order, leaving out ramp-up and
         * tail), latency p50/p99/max in ms over the requests whose body held a timestamp.
         */
        synchronized String json() {
            double rate = count < 2 ? 0 : (count - 1) * 1e9 / (receipts[count - 1] - receipts[0]);
            int lo = count / 10;
            int hi = count * 9 / 10;
            double steady = hi - lo < 2 ? 0 : (hi - lo) * 1e9 / (receipts[hi] - receipts[lo]);
            long[] sorted = Arrays.copyOf(latencies, latencyCount);
            Arrays.sort(sorted);
            return String.format(java.util.Locale.ROOT,
                    "{\"count\":%d,\"firstMs\":%d,\"lastMs\":%d,\"rate\":%.1f,\"steadyRate\":%.1f,"
                            + "\"latencyCount\":%d,\"p50\":%d,\"p99\":%d,\"max\":%d}",
                    count, firstMillis, lastMillis, rate, steady, latencyCount,
                    percentile(sorted, 0.50), percentile(sorted, 0.99), percentile(sorted, 1.0));
        }

        private static long percentile(long[] sorted, double p) {
            if (sorted.length == 0) {
                return -1;
            }
            int index = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }
    }
}
