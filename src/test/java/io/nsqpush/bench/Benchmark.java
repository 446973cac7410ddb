package io.nsqpush.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.bench.Results.Target;
import io.nsqpush.testsupport.Ports;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.nsqpush.bench.Results.NSQ_PUSH;
import static io.nsqpush.bench.Results.NSQ_TO_HTTP;
import static io.nsqpush.bench.Results.format;

/**
 * The benchmark driver: {@code mvn -q -DskipTests package exec:exec@bench} (README, "Benchmark").
 * <p>
 * Runs nsq-push (the packaged jar with its default JVM settings) and NSQ's own nsq_to_http on the same workload, one
 * bridge process after the other, against the same nsqd and the same {@link BenchEndpoint}:
 * <ul>
 *   <li>A: a backlog of N messages, instant endpoint;</li>
 *   <li>B: a backlog of N2, the endpoint answering after 20 ms (the bound: 200 in flight / 20 ms = 10,000/s);</li>
 *   <li>C: a backlog of N3, after 100 ms (2,000/s);</li>
 *   <li>D: RATE msg/s for DURATION s after a 3 s warm-up, instant endpoint: latency publish → receipt.</li>
 * </ul>
 * A drain is measured from launch to its last delivery and over its second half (warm: a fresh JVM spends a good
 * share of its first seconds in the JIT compiler), with the bridge's CPU time and peak RSS from /proc. Every case has
 * a fresh topic whose channel exists before anything is published. The nsqd is NSQD=host:port if given, else a real
 * nsqd if one is on PATH, else the test nsqd ({@link BenchNsqd}). The table (medians over ROUNDS) is printed and
 * written to target/bench/results.md. Every wait has a deadline and every process is stopped at the end, also on
 * failure or Ctrl-C.
 */
public final class Benchmark {

    private static final String JAR = "target/nsq-push.jar";
    /**
     * The README's run command; {@code LAUNCHER=/path/of/another/checkout/nsq-push} runs another build against the same
     * harness, e.g. to find which commit moved a number.
     */
    private static final String LAUNCHER = System.getenv().getOrDefault("LAUNCHER", "./nsq-push");
    private static final String CHANNEL = "bench";
    private static final int MAX_IN_FLIGHT = 200;
    private static final int BODY_BYTES = 100;
    /** A wait that sees nothing new arrive for this long has stalled: the case ends with what it got. */
    private static final long STALL_MS = 15_000;
    private static final long DEADLINE_MS = 600_000;
    /** Short, so that the CPU time read after a poll belongs to the count it saw; /stats costs the endpoint little. */
    private static final long POLL_MS = 50;
    private static final List<String> SETTINGS =
            List.of("N", "N2", "N3", "RATE", "DURATION", "ROUNDS", "FORMAT", "CASES", "BRIDGES", "NSQD", "BRIDGE_OPTS",
                    "ENDPOINT");

    private final int n = intEnv("N", 100_000);
    private final int n2 = intEnv("N2", 60_000);
    private final int n3 = intEnv("N3", 30_000);
    private final int rate = intEnv("RATE", 1_000);
    private final int duration = intEnv("DURATION", 20);
    private final int rounds = intEnv("ROUNDS", 1);
    private final String pushFormat = env("FORMAT", "SIMPLIFIED");
    private final List<String> cases = List.of(env("CASES", "A,B,C,D").split("\\s*,\\s*"));
    private final List<String> bridges = new ArrayList<>(List.of(env("BRIDGES", NSQ_PUSH + "," + NSQ_TO_HTTP)
            .split("\\s*,\\s*")));
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private final Processes processes = new Processes();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Results results = new Results();
    private final Map<String, String> commands = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();
    private String nsqd;
    private String nsqdKind;
    private String endpointKind;
    private String endpoint;
    private Process endpointProcess;
    private Publisher publisher;

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
        String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        String load = Processes.output("uptime").orElse("?");
        if (!new File(JAR).isFile()) {
            throw new IllegalStateException(JAR + " is missing: run from the project root after mvn package");
        }
        if (!List.of("A", "B", "C", "D").containsAll(cases)
                || !List.of(NSQ_PUSH, NSQ_TO_HTTP).containsAll(bridges)) {
            throw new IllegalArgumentException("CASES is a subset of A,B,C,D and BRIDGES of nsq-push,nsq_to_http");
        }
        if (!bridges.contains(NSQ_TO_HTTP)) {
            results.notRun(NSQ_TO_HTTP, "not in BRIDGES");
        } else if (!onPath(NSQ_TO_HTTP)) {
            bridges.remove(NSQ_TO_HTTP);
            results.notRun(NSQ_TO_HTTP, "not on PATH");
        }
        if (!bridges.contains(NSQ_PUSH)) {
            results.notRun(NSQ_PUSH, "not in BRIDGES");
        }
        startNsqd();
        startEndpoint();
        endpoint = "http://127.0.0.1:" + Processes.awaitLine("endpoint", endpointProcess, "ready ", 30);
        say("nsqd " + nsqd + " (" + nsqdKind + "), endpoint " + endpoint + " (" + endpointKind + "), bridges " + bridges + ", cases " + cases
                + ", " + rounds + " round(s); logs in " + Processes.LOGS);

        try (Publisher p = new Publisher(nsqd)) {
            publisher = p;
            for (int round = 1; round <= rounds; round++) {
                for (String c : cases) {
                    for (String bridge : bridges) {
                        runCase(c, bridge, round);
                    }
                }
            }
        }
        String report = results.markdown() + "\n" + footer(started, load);
        System.out.println();
        System.out.println(report);
        Files.writeString(Processes.LOGS.resolve("results.md"), report);
    }

    private void runCase(String c, String bridge, int round) {
        String name = c + "-" + bridge + "-r" + round;
        String topic = "bench-" + runId + "-" + round + c + "-" + bridge;
        say(name + ": topic " + topic);
        try {
            switch (c) {
                case "A" -> drain(format("A instant, %,d msgs", n), bridge, name, topic, n, 0);
                case "B" -> drain(format("B 20 ms, %,d msgs", n2), bridge, name, topic, n2, 20);
                case "C" -> drain(format("C 100 ms, %,d msgs", n3), bridge, name, topic, n3, 100);
                default -> latency(bridge, name, topic);
            }
        } catch (Exception ex) {
            warn(name + " failed: " + ex);
        }
    }

    // ---------------------------------------------------------------- the cases

    /**
     * A–C: a backlog of {@code count} messages waits for a bridge launched afterwards. CPU time is read at launch, at
     * the half (the first poll that sees half of them arrived) and when all arrived; peak RSS just before the stop.
     * The endpoint's CPU per request shows what each bridge's way of using connections costs the receiving side.
     */
    private void drain(String label, String bridge, String name, String topic, int count, int latencyMs)
            throws Exception {
        publisher.createChannel(topic, CHANNEL);
        publisher.publishBulk(topic, count, BODY_BYTES);
        control("/config?latency=" + latencyMs);
        control("/reset");
        long endpointCpu = Processes.cpuMicros(endpointProcess);
        long launched = System.currentTimeMillis();
        Process process = launch(bridge, name, topic);
        try {
            long cpuAtLaunch = Processes.cpuMicros(process);
            JsonNode half = awaitCount(name, process, count / 2);
            long cpuAtHalf = Processes.cpuMicros(process);
            profile(bridge, name, process, "start");
            JsonNode end = awaitCount(name, process, count);
            long cpuAtEnd = Processes.cpuMicros(process);
            profile(bridge, name, process, "stop");
            endpointCpu = Processes.cpuMicros(endpointProcess) - endpointCpu;
            double rssMiB = Processes.peakRssKiB(process) / 1024.0;

            int delivered = end.get("count").asInt();
            int warm = delivered - half.get("count").asInt();
            double bound = latencyMs == 0 ? 0 : MAX_IN_FLIGHT * 1000.0 / latencyMs;
            DoubleFunction<String> rate = v -> bound == 0 ? format("%,.0f msg/s", v)
                    : format("%,.0f msg/s (%.0f %% of %,.0f)", v, 100 * v / bound, bound);
            results.add(label + ": launch → first delivery", bridge, end.get("firstMs").asLong() - launched,
                    v -> format("%,.0f ms", v), Target.atMost("≤ 1.5 s", 1500));
            results.add(label + ": msg/s launch → drained", bridge,
                    perSecond(delivered, end.get("lastMs").asLong() - launched), rate,
                    latencyMs <= 20 ? Target.ratioAtLeast("≥ 1.3 × nsq_to_http", 1.3) : null);
            results.add(label + ": msg/s warm (2nd half)", bridge,
                    perSecond(warm, end.get("lastMs").asLong() - half.get("lastMs").asLong()), rate,
                    latencyMs == 100 ? Target.atLeast("≥ 97 % of 2,000/s", 0.97 * bound) : null);
            results.add(label + ": CPU µs/msg launch → drained", bridge,
                    (double) (cpuAtEnd - cpuAtLaunch) / delivered, v -> format("%,.1f µs", v), null);
            results.add(label + ": CPU µs/msg warm", bridge, (double) (cpuAtEnd - cpuAtHalf) / warm,
                    v -> format("%,.1f µs", v), Target.ratioAtMost("≤ 0.5 × nsq_to_http", 0.5));
            results.add(label + ": peak RSS", bridge, rssMiB, v -> format("%,.0f MiB", v),
                    Target.atMost("≤ 256 MiB", 256));
            results.add(label + ": HTTP connections opened", bridge, end.get("connections").asDouble(),
                    v -> format("%,.0f", v), null);
            results.add(label + ": endpoint CPU µs/request", bridge, (double) endpointCpu / delivered,
                    v -> format("%,.1f µs", v), null);
        } finally {
            processes.stop(process, 40);
        }
    }

    /**
     * With {@code PROFILE=<path of libasyncProfiler.so>} (async-profiler 3.x; PROFILE_EVENT cpu, the default, or wall),
     * profiles nsq-push over the warm half of each drain, attached through jcmd: the profile shows what a warm bridge
     * spends its CPU on, without the JIT compiler's start-up work. Written to target/bench/NAME-warm.collapsed. (jcmd
     * reads an argument with '=' as its own name=value unless it is quoted.)
     */
    private void profile(String bridge, String name, Process process, String command) throws Exception {
        String library = System.getenv("PROFILE");
        if (library == null || library.isBlank() || !bridge.equals("nsq-push")) {
            return;
        }
        String options = command.equals("start")
                ? "start,event=" + env("PROFILE_EVENT", "cpu") + ",interval=1ms"
                : "stop,collapsed,file=" + java.nio.file.Path.of("target", "bench", name + "-warm.collapsed")
                        .toAbsolutePath();
        Process jcmd = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd")
                .toString(), String.valueOf(process.pid()), "JVMTI.agent_load", library, "\"" + options + "\"")
                .redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (jcmd.waitFor() != 0 || !output.contains("return code: 0")) {
            warn("profiler " + command + " on " + name + ": " + output.trim());
        }
    }

    /**
     * D: a running bridge, RATE msg/s: publish → endpoint receipt. The bridge is up once a first message arrives;
     * then 3 s at RATE warm it up, and once those arrived the measured DURATION s start.
     */
    private void latency(String bridge, String name, String topic) throws Exception {
        publisher.createChannel(topic, CHANNEL);
        control("/config?latency=0");
        control("/reset");
        Process process = launch(bridge, name, topic);
        try {
            awaitCount(name, process, publisher.publishPaced(topic, 1, 1)); // one message
            awaitCount(name, process, 1 + publisher.publishPaced(topic, rate, 3));
            control("/reset");
            JsonNode stats = awaitCount(name, process, publisher.publishPaced(topic, rate, duration));
            String label = format("D %,d msg/s × %d s: latency ", rate, duration);
            DoubleFunction<String> millis = v -> v < 1 ? "<1 ms" : format("%,.0f ms", v);
            results.add(label + "p50", bridge, stats.get("p50").asDouble(), millis, null);
            results.add(label + "p99", bridge, stats.get("p99").asDouble(), millis, null);
            results.add(label + "max", bridge, stats.get("max").asDouble(), millis, null);
        } finally {
            processes.stop(process, 40);
        }
    }

    /**
     * nsq-push as the README runs it, {@code ./nsq-push} with flags (BRIDGE_OPTS goes to JAVA_OPTS, for profiling
     * only), or nsq_to_http with the same workload.
     */
    private Process launch(String bridge, String name, String topic) throws IOException {
        List<String> command = new ArrayList<>();
        Map<String, String> environment = new java.util.HashMap<>();
        if (bridge.equals(NSQ_TO_HTTP)) {
            command.addAll(List.of(NSQ_TO_HTTP, "--topic=" + topic, "--channel=" + CHANNEL,
                    "--nsqd-tcp-address=" + nsqd, "--post=" + endpoint + "/push", "--n=" + MAX_IN_FLIGHT,
                    "--max-in-flight=" + MAX_IN_FLIGHT));
        } else {
            // e.g. BRIDGE_OPTS="-XX:StartFlightRecording=filename=target/bench/,settings=profile"
            environment.put("JAVA_OPTS", env("BRIDGE_OPTS", ""));
            command.addAll(List.of(LAUNCHER, "--nsq.topic=" + topic, "--nsq.channel=" + CHANNEL,
                    "--nsq.nsqd-tcp-addresses=" + nsqd, "--nsq.max-in-flight=" + MAX_IN_FLIGHT,
                    "--push.url=" + endpoint + "/push", "--push.format=" + pushFormat, "--status.interval=0",
                    "--routes.reload-enabled=false", "--camel.management.host=127.0.0.1",
                    "--camel.management.port=" + Ports.free()));
        }
        commands.put(bridge, (environment.isEmpty() || environment.get("JAVA_OPTS").isEmpty() ? ""
                : "JAVA_OPTS=\"" + environment.get("JAVA_OPTS") + "\" ") + String.join(" ", command));
        return processes.start(name, command, environment);
    }

    // ---------------------------------------------------------------- nsqd

    /** NSQD=host:port, else a real nsqd on PATH (memory only, fresh data path), else the test nsqd. */
    private void startNsqd() throws Exception {
        nsqd = env("NSQD", "");
        if (!nsqd.isEmpty()) {
            nsqdKind = "given by NSQD";
            return;
        }
        if (!onPath("nsqd")) {
            Process p = processes.startClass("nsqd", List.of("-Xmx2g"), BenchNsqd.class);
            nsqd = Processes.awaitLine("nsqd", p, "ready ", 30);
            nsqdKind = "the test nsqd in its own JVM: no nsqd on PATH";
            return;
        }
        int tcpPort = Ports.free();
        int httpPort = Ports.free();
        // a backlog that fits --mem-queue-size never touches the disk: the bridges are measured, not nsqd's disk
        List<String> command = List.of("nsqd", "--tcp-address=127.0.0.1:" + tcpPort,
                "--http-address=127.0.0.1:" + httpPort, "--data-path=" + processes.tempDirectory("bench-nsqd-"),
                "--mem-queue-size=1000000");
        Process p = processes.start("nsqd", command);
        URI ping = URI.create("http://127.0.0.1:" + httpPort + "/ping");
        long deadline = System.currentTimeMillis() + 30_000;
        while (!"OK".equals(body(get(ping)))) {
            Processes.checkAlive("nsqd", p);
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("nsqd did not answer " + ping + " within 30 s");
            }
            Thread.sleep(50);
        }
        nsqd = "127.0.0.1:" + tcpPort;
        nsqdKind = Processes.output("nsqd", "--version").orElse("nsqd") + ", started here: `"
                + String.join(" ", command) + "`";
    }

    // ---------------------------------------------------------------- the endpoint

    /**
     * ENDPOINT=go (the default when {@code go} is on PATH): bench/endpoint/main.go, built here; a receiver in Go costs
     * the shared cores what real ones do, where the JVM endpoint's JIT and GC weigh on whichever bridge runs beside
     * them. ENDPOINT=jvm: {@link BenchEndpoint}, the same protocol on Netty.
     */
    private void startEndpoint() throws Exception {
        String kind = env("ENDPOINT", onPath("go") ? "go" : "jvm");
        if (kind.equals("go")) {
            Path binary = Processes.LOGS.resolve("endpoint-go").toAbsolutePath();
            Files.createDirectories(Processes.LOGS);
            Process build = new ProcessBuilder("go", "build", "-o", binary.toString(), "bench/endpoint/main.go")
                    .redirectErrorStream(true).redirectOutput(Processes.LOGS.resolve("endpoint-build.log").toFile())
                    .start();
            if (!build.waitFor(120, TimeUnit.SECONDS) || build.exitValue() != 0) {
                throw new IllegalStateException("go build bench/endpoint/main.go failed: see "
                        + Processes.LOGS.resolve("endpoint-build.log"));
            }
            endpointProcess = processes.start("endpoint", List.of(binary.toString()));
            endpointKind = "Go, bench/endpoint/main.go, " + Processes.output("go", "version").orElse("go");
        } else if (kind.equals("jvm")) {
            // C1 only: C2 would spend seconds of CPU compiling the endpoint during the first case, next to its bridge
            endpointProcess = processes.startClass("endpoint", List.of("-Xmx512m", "-XX:TieredStopAtLevel=1"),
                    BenchEndpoint.class);
            endpointKind = "JVM, BenchEndpoint on Netty";
        } else {
            throw new IllegalArgumentException("ENDPOINT is go or jvm, not " + kind);
        }
    }

    /**
     * Polls /stats until {@code count} requests arrived. When nothing new arrives for STALL_MS (or after DEADLINE_MS)
     * it warns and returns what arrived: the numbers then cover those.
     */
    private JsonNode awaitCount(String name, Process process, int count) throws Exception {
        long start = System.currentTimeMillis();
        long lastProgress = start;
        int seen = -1;
        while (true) {
            JsonNode stats = json.readTree(control("/stats"));
            int now = stats.get("count").asInt();
            if (now >= count) {
                return stats;
            }
            long t = System.currentTimeMillis();
            if (now != seen) {
                seen = now;
                lastProgress = t;
            }
            if (t - lastProgress > STALL_MS || t - start > DEADLINE_MS) {
                warn(name + ": only " + now + " of " + count + " arrived; its numbers cover those");
                return stats;
            }
            Processes.checkAlive(name, process);
            Thread.sleep(POLL_MS);
        }
    }

    private String control(String path) throws Exception {
        HttpResponse<String> response = get(URI.create(endpoint + path));
        if (response == null || response.statusCode() != 200) {
            throw new IllegalStateException("endpoint " + path + ": "
                    + (response == null ? "no answer" : "HTTP " + response.statusCode()));
        }
        return response.body();
    }

    /** The answer, or null when nothing listens (yet). */
    private HttpResponse<String> get(URI uri) throws Exception {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        }
    }

    private static String body(HttpResponse<String> response) {
        return response == null ? null : response.body();
    }

    // ---------------------------------------------------------------- output

    private String footer(String started, String load) {
        String settings = SETTINGS.stream().filter(s -> System.getenv(s) != null)
                .map(s -> s + "=" + quoted(System.getenv(s))).collect(Collectors.joining(" "));
        String mvn = "mvn " + env("MAVEN_CMD_LINE_ARGS", "-q -DskipTests package exec:exec@bench");
        List<String> lines = new ArrayList<>(List.of(
                "- " + started + ", `nproc` " + Processes.output("nproc").orElse("?") + ", `uptime` at start: "
                        + load,
                "- Java " + System.getProperty("java.runtime.version") + "; nsqd " + nsqd + ": " + nsqdKind
                        + "; endpoint: " + endpointKind,
                format("- A: N=%d, B: N2=%d, C: N3=%d, D: RATE=%d msg/s for DURATION=%d s; ROUNDS=%d (medians); "
                                + "bodies of %d bytes, max-in-flight %d; nsq-push FORMAT=%s (nsq_to_http posts the "
                                + "body as it is)", n, n2, n3, rate, duration, rounds, BODY_BYTES, MAX_IN_FLIGHT,
                        pushFormat),
                "- CPU: utime + stime of the bridge process (/proc/<pid>/stat); warm: the second half of a backlog; "
                        + "peak RSS: VmHWM; HTTP connections: opened to the endpoint during the drain; endpoint CPU: "
                        + "the endpoint process's, launch → drained",
                "- run: `" + (settings.isEmpty() ? "" : settings + " ") + mvn.trim() + "`"));
        commands.forEach((bridge, command) -> lines.add("- " + bridge + " (last case): `" + command + "`"));
        results.notRunReasons().forEach((bridge, why) -> lines.add("- " + bridge + ": not run, " + why));
        warnings.forEach(w -> lines.add("- WARNING: " + w));
        lines.add("- logs of every process: " + Processes.LOGS + "/");
        return String.join("\n", lines) + "\n";
    }

    private static String quoted(String value) {
        return value.matches("[\\w.,:/=@+-]*") ? value : "'" + value + "'";
    }

    private void warn(String warning) {
        warnings.add(warning);
        say("WARNING: " + warning);
    }

    private static void say(String line) {
        System.out.println("==> " + line);
    }

    // ---------------------------------------------------------------- helpers

    /** Messages per second over {@code millis}; NaN when there is nothing to divide. */
    private static double perSecond(int count, long millis) {
        return count <= 0 || millis <= 0 ? Double.NaN : count * 1000.0 / millis;
    }

    private static boolean onPath(String command) {
        return Stream.of(env("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static int intEnv(String name, int fallback) {
        return Integer.parseInt(env(name, String.valueOf(fallback)));
    }

}
