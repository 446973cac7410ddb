package io.nsqpush.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark driver: {@code mvn -q -DskipTests package exec:exec@bench} (README, "Benchmark").
 * <p>
 * Starts the test nsqd (unless NSQD=host:port names a real one) and {@link BenchEndpoint} as processes, then runs the
 * packaged bridge jar as a process of its own in three phases, each on a fresh topic:
 * <ol>
 *   <li>N messages waiting, instant endpoint: launch → first delivery; messages/s cold (first half) and warm (second
 *   half: a fresh JVM spends about a third of its CPU in the JIT compiler at first);</li>
 *   <li>N messages waiting, 20 ms endpoint, max-in-flight 200: messages/s over the second half against the bound
 *   200 / 20 ms;</li>
 *   <li>RATE msg/s for DURATION s, instant endpoint: end-to-end latency publish → endpoint receipt.</li>
 * </ol>
 * Peak RSS and heap of each bridge are sampled throughout. Prints one Markdown table. Every wait has a deadline and
 * every process is stopped at the end, also on failure or Ctrl-C.
 */
public final class Benchmark {

    private static final String JAR = "target/nsq-push.jar";
    private static final int MAX_IN_FLIGHT = 200;
    private static final int BODY_BYTES = 100;
    /** A drain that delivers nothing new for this long has stalled: the phase ends with what it got. */
    private static final long STALL_MS = 15_000;

    private final int n = intEnv("N", 100_000);
    private final int rate = intEnv("RATE", 1_000);
    private final int duration = intEnv("DURATION", 20);
    private final String format = env("FORMAT", "JSON");
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private final Processes processes = new Processes();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, String> results = new LinkedHashMap<>();
    private final List<String> memory = new ArrayList<>();
    private String nsqd;
    private String endpoint;

    public static void main(String[] args) throws Exception {
        Benchmark benchmark = new Benchmark();
        try {
            benchmark.run();
        } finally {
            benchmark.processes.stopAll();
        }
        System.exit(0); // the HttpClient's and Netty's threads must not keep the driver alive
    }

    private void run() throws Exception {
        if (!new File(JAR).isFile()) {
            throw new IllegalStateException(JAR + " is missing: run from the project root after mvn package");
        }
        nsqd = System.getenv("NSQD");
        if (nsqd == null || nsqd.isBlank()) {
            Process p = processes.startClass("nsqd", List.of("-Xmx2g"), BenchNsqd.class);
            nsqd = Processes.awaitLine("nsqd", p, "ready ", 30);
        }
        Process e = processes.startClass("endpoint", List.of("-Xmx512m",
                // the bridge keeps up to max-in-flight connections alive; the JDK server's default keeps only 200
                "-Dsun.net.httpserver.maxIdleConnections=1000"), BenchEndpoint.class);
        endpoint = "http://127.0.0.1:" + Processes.awaitLine("endpoint", e, "ready ", 30);
        say("nsqd " + nsqd + " (" + (System.getenv("NSQD") == null ? "test nsqd, own JVM" : "given by NSQD")
                + "), endpoint " + endpoint + ", N=" + n + ", format " + format + "; logs in target/bench/");

        try (Publisher publisher = new Publisher(nsqd)) {
            instantEndpoint(publisher);
            slowEndpoint(publisher);
            latency(publisher);
        }
        printTable();
    }

    /** Phase 1: N waiting messages, an instant endpoint: start-up time and drain rate. */
    private void instantEndpoint(Publisher publisher) throws Exception {
        String topic = "bench1-" + runId;
        control("/config?latency=0");
        control("/reset");
        say("phase 1: publishing " + n + " messages of " + BODY_BYTES + " bytes to " + topic);
        publisher.publishBulk(topic, n, BODY_BYTES);
        long launched = System.currentTimeMillis();
        Bridge bridge = launch("bridge-1-instant", topic);
        try {
            // the first half warms the JIT up (a cold JVM spends a third of its CPU compiling): measure the second
            JsonNode warm = awaitCount(n / 2, 180);
            results.put("startup: launch → first delivery", (warm.get("firstMs").asLong() - launched) + " ms");
            results.put("instant endpoint, cold (first " + warm.get("count").asInt() + ")",
                    String.format(Locale.ROOT, "%,.0f msg/s", warm.get("rate").asDouble()));
            control("/reset");
            JsonNode stats = awaitDrained(180);
            results.put("instant endpoint, warm (next " + stats.get("count").asInt() + ")",
                    String.format(Locale.ROOT, "%,.0f msg/s (steady 10–90 %%: %,.0f)",
                            stats.get("rate").asDouble(), stats.get("steadyRate").asDouble()));
        } finally {
            bridge.stop("1 instant");
        }
    }

    /** Phase 2: a 20 ms endpoint: how close to 200 in flight / 20 ms = 10,000/s, after N/2 warm-up messages. */
    private void slowEndpoint(Publisher publisher) throws Exception {
        String topic = "bench2-" + runId;
        int warmup = Math.max(1, n / 2);
        int count = Math.max(1, n / 2);
        control("/config?latency=20");
        control("/reset");
        say("phase 2: publishing " + warmup + " + " + count + " messages to " + topic + ", endpoint answers after 20 ms");
        publisher.publishBulk(topic, warmup + count, BODY_BYTES);
        Bridge bridge = launch("bridge-2-20ms", topic);
        try {
            awaitCount(warmup, 180);
            control("/reset");
            JsonNode stats = awaitDrained(180);
            double steady = stats.get("steadyRate").asDouble();
            results.put("20 ms endpoint, max-in-flight 200 (" + stats.get("count").asInt() + " msgs)",
                    String.format(Locale.ROOT, "%,.0f msg/s steady 10–90 %% (whole drain %,.0f)",
                            steady, stats.get("rate").asDouble()));
            results.put("efficiency vs 200 / 20 ms = 10,000/s",
                    String.format(Locale.ROOT, "%.0f %%", steady / 100.0));
        } finally {
            control("/config?latency=0");
            bridge.stop("2 20ms");
        }
    }

    /** Phase 3: a running bridge, RATE msg/s: NSQ publish → endpoint receipt, after a short warm-up. */
    private void latency(Publisher publisher) throws Exception {
        String topic = "bench3-" + runId;
        control("/config?latency=0");
        Bridge bridge = launch("bridge-3-latency", topic);
        try {
            bridge.awaitHealthy(60);
            say("phase 3: warm-up, then " + rate + " msg/s for " + duration + " s to " + topic);
            int warmup = publisher.publishPaced(topic, rate, 3);
            control("/reset");
            awaitQuiet(5);
            control("/reset");
            int sent = publisher.publishPaced(topic, rate, duration);
            JsonNode stats = awaitCount(sent, 60);
            results.put("latency p50 / p99 / max at " + rate + " msg/s (" + stats.get("latencyCount").asInt()
                            + " msgs, after " + warmup + " warm-up)",
                    millis(stats.get("p50")) + " / " + millis(stats.get("p99")) + " / " + millis(stats.get("max"))
                            + " ms");
        } finally {
            bridge.stop("3 latency");
        }
    }

    // ---------------------------------------------------------------- the bridge process

    private Bridge launch(String name, String topic) throws IOException {
        int managementPort = freePort();
        List<String> jvm = new java.util.ArrayList<>(List.of("-Xmx256m",
                "-Dnsq.topic=" + topic,
                "-Dnsq.channel=bench",
                "-Dnsq.nsqd-tcp-addresses=" + nsqd,
                "-Dnsq.max-in-flight=" + MAX_IN_FLIGHT,
                "-Dpush.url=" + endpoint + "/push",
                "-Dpush.format=" + format,
                "-Dstatus.interval=0",
                "-Droutes.reload-enabled=false",
                "-Dcamel.management.host=127.0.0.1",
                "-Dcamel.management.port=" + managementPort));
        // e.g. BRIDGE_OPTS="-XX:StartFlightRecording=filename=target/bench/bridge.jfr,settings=profile" to profile
        String extra = System.getenv("BRIDGE_OPTS");
        if (extra != null && !extra.isBlank()) {
            jvm.addAll(List.of(extra.trim().split("\\s+")));
        }
        Process process = processes.startJar(name, JAR, jvm);
        return new Bridge(process, managementPort, new BridgeSampler(process, managementPort));
    }

    private final class Bridge {
        final Process process;
        final int managementPort;
        final BridgeSampler sampler;

        Bridge(Process process, int managementPort, BridgeSampler sampler) {
            this.process = process;
            this.managementPort = managementPort;
            this.sampler = sampler;
        }

        void awaitHealthy(int seconds) throws Exception {
            long deadline = System.currentTimeMillis() + seconds * 1000L;
            while (System.currentTimeMillis() < deadline && process.isAlive()) {
                HttpResponse<String> health = get("http://127.0.0.1:" + managementPort + "/observe/health");
                if (health != null && health.statusCode() == 200) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("bridge not healthy within " + seconds + " s; see target/bench/");
        }

        void stop(String phase) {
            sampler.close();
            memory.add(phase + ": " + sampler.peakRssMiB() + " / " + sampler.peakHeapMiB());
            processes.stop(process, 40);
        }
    }

    // ---------------------------------------------------------------- the endpoint

    /** Polls /stats until {@code count} requests arrived, nothing new arrived for STALL_MS, or the deadline. */
    private JsonNode awaitCount(int count, int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        long lastProgress = System.currentTimeMillis();
        int seen = -1;
        JsonNode stats = stats();
        while (stats.get("count").asInt() < count && System.currentTimeMillis() < deadline
                && System.currentTimeMillis() - lastProgress < STALL_MS) {
            Thread.sleep(200);
            stats = stats();
            if (stats.get("count").asInt() != seen) {
                seen = stats.get("count").asInt();
                lastProgress = System.currentTimeMillis();
            }
        }
        if (stats.get("count").asInt() < count) {
            say("WARNING: only " + stats.get("count").asInt() + " of " + count + " arrived; the numbers cover those");
        }
        return stats;
    }

    /** Waits until the endpoint has received nothing new for a second (the topic is drained), at most {@code seconds}. */
    private JsonNode awaitDrained(int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        JsonNode stats = stats();
        long lastProgress = System.currentTimeMillis();
        int seen = stats.get("count").asInt();
        while (System.currentTimeMillis() < deadline && System.currentTimeMillis() - lastProgress < 1000) {
            Thread.sleep(200);
            stats = stats();
            if (stats.get("count").asInt() != seen) {
                seen = stats.get("count").asInt();
                lastProgress = System.currentTimeMillis();
            }
        }
        return stats;
    }

    /** Waits until the endpoint got nothing for 500 ms (the warm-up's last messages), at most {@code seconds}. */
    private void awaitQuiet(int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        int before = -1;
        while (System.currentTimeMillis() < deadline) {
            int now = stats().get("count").asInt();
            if (now == before) {
                return;
            }
            before = now;
            Thread.sleep(500);
        }
    }

    private JsonNode stats() throws Exception {
        return json.readTree(control("/stats"));
    }

    private String control(String path) throws Exception {
        HttpResponse<String> response = get(endpoint + path);
        if (response == null || response.statusCode() != 200) {
            throw new IllegalStateException("endpoint " + path + ": "
                    + (response == null ? "no answer" : "HTTP " + response.statusCode()));
        }
        return response.body();
    }

    /** The answer, or null when nothing listens (yet). */
    private HttpResponse<String> get(String url) throws Exception {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- output

    private void printTable() {
        results.put("peak RSS / peak heap used (MiB), bridge -Xmx256m, per phase", String.join("; ", memory));
        results.put("N; format; nsqd", n + "; " + format + "; " + (System.getenv("NSQD") == null
                ? "test nsqd (own JVM)" : "NSQD=" + System.getenv("NSQD")));
        results.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.runtime.version") + " (" + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ")");
        System.out.println();
        System.out.println("| metric | value |");
        System.out.println("|---|---|");
        results.forEach((k, v) -> System.out.println("| " + k + " | " + v + " |"));
    }

    /** Timestamps are whole milliseconds: 0 means under a millisecond, not no time. */
    private static String millis(JsonNode value) {
        return value.asLong() == 0 ? "<1" : String.valueOf(value.asLong());
    }

    private static void say(String line) {
        System.out.println("==> " + line);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static int intEnv(String name, int fallback) {
        return Integer.parseInt(env(name, String.valueOf(fallback)));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
