package io.nsqpush.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A real nsqd (NSQ's own binary, from PATH) for tests: on 127.0.0.1 with ports the kernel picks (read back from its
 * log, so no port is ever raced for), a fresh data path, killed and its data path deleted on {@link #close()}. Tests
 * that use it skip themselves (JUnit assumption) where nsqd is not installed, e.g. on CI; NSQD_BIN (NSQLOOKUPD_BIN for
 * {@link Lookupd}) names the binary explicitly, and a NSQD_BIN that is no executable skips them too. With NSQ_PUSH_REAL_NSQD=required
 * (.ci/run) a missing binary fails them instead.
 * <p>
 * It publishes over HTTP (/pub, /mpub), creates topics and channels, reads /stats as {@link TopicStats}, and reads the
 * messages of a topic with a minimal raw TCP consumer ({@link #read}). Each process's output is kept in
 * target/real-nsqd/ to read after a failure.
 */
public final class RealNsqd implements AutoCloseable {

    /** Where the processes' output goes (relative to the project root, where surefire runs). */
    public static final Path LOGS = Path.of("target", "real-nsqd");
    private static final Duration STARTUP = Duration.ofSeconds(15);
    private static final Pattern LISTENING = Pattern.compile("(TCP|HTTP): listening on (\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Every process still running, killed by a shutdown hook if a test never got to close it. */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "real-nsqd-cleanup"));
    }

    private volatile Daemon daemon;
    private final Path dataPath;

    private RealNsqd(Daemon daemon, Path dataPath) {
        this.daemon = daemon;
        this.dataPath = dataPath;
    }

    // ------------------------------------------------------------------ finding and starting

    /**
     * @param name    nsqd, nsqlookupd, nsq_tail, ...
     * @return the binary: $NSQD_BIN (resp. $NSQLOOKUPD_BIN, $NSQ_TAIL_BIN...) when set, else the first executable of that name on PATH
     */
    public static Optional<Path> binary(String name) {
        String override = System.getenv(name.toUpperCase(java.util.Locale.ROOT) + "_BIN");
        if (override != null && !override.isBlank()) {
            Path path = Path.of(override.trim());
            return Files.isRegularFile(path) && Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String pathVariable = System.getenv("PATH");
        return Stream.of((pathVariable == null ? "" : pathVariable).split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, name))
                .filter(path -> Files.isRegularFile(path) && Files.isExecutable(path))
                .findFirst();
    }

    /** Set to {@code required} (as .ci/run does) to make a missing NSQ binary fail the tests that need it. */
    public static final String REQUIRED_VARIABLE = "NSQ_PUSH_REAL_NSQD";

    /** @return whether a missing NSQ binary fails the test rather than skipping it */
    public static boolean required() {
        return "required".equalsIgnoreCase(String.valueOf(System.getenv(REQUIRED_VARIABLE)).trim());
    }

    /**
     * Skips the calling test (JUnit assumption) unless the binary is there, saying where it was looked for; with
     * NSQ_PUSH_REAL_NSQD=required it fails instead, so CI cannot pass by skipping the real-NSQ suite.
     *
     * @param name nsqd, nsqlookupd, nsq_tail, to_nsq, nsq_to_http
     */
    public static Path assumeInstalled(String name) {
        String variable = name.toUpperCase(java.util.Locale.ROOT) + "_BIN";
        return installed(name, binary(name), System.getenv(variable), required());
    }

    /** {@link #assumeInstalled} with what it reads from the environment given: the binary found, $NAME_BIN, required. */
    static Path installed(String name, Optional<Path> binary, String override, boolean required) {
        String variable = name.toUpperCase(java.util.Locale.ROOT) + "_BIN";
        if (binary.isPresent()) {
            return binary.get();
        }
        String why = override != null && !override.isBlank()
                ? name + " is not an executable: " + variable + "=" + override
                : name + " is not on PATH (" + System.getenv("PATH") + ")";
        if (required) {
            throw new AssertionError(why + ", and " + REQUIRED_VARIABLE + "=required: these tests run the bridge"
                    + " against real NSQ (v1.3.0); install NSQ v1.3.0 (README, Development) or put its"
                    + " binaries on PATH");
        }
        return Assumptions.abort(why + ": these tests run the bridge against real NSQ (v1.3.0); put NSQ's binaries on PATH"
                + " or set " + variable + " to run them (" + REQUIRED_VARIABLE + "=required fails instead); skipped");
    }

    /** A real nsqd with these extra flags (e.g. --msg-timeout=2s); skips the test when nsqd is not installed. */
    public static RealNsqd start(String... flags) throws IOException {
        Path binary = assumeInstalled("nsqd");
        Path dataPath = Files.createTempDirectory("real-nsqd-");
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--tcp-address=127.0.0.1:0",
                "--http-address=127.0.0.1:0", "--broadcast-address=127.0.0.1", "--data-path=" + dataPath));
        command.addAll(List.of(flags));
        try {
            RealNsqd nsqd = new RealNsqd(Daemon.start("nsqd", command), dataPath);
            nsqd.daemon.awaitPing();
            return nsqd;
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(dataPath);
            throw e;
        }
    }

    /** A real nsqd that registers with this lookupd (--lookupd-tcp-address), plus these flags. */
    public static RealNsqd startWith(Lookupd lookupd, String... flags) throws IOException {
        List<String> all = new ArrayList<>(List.of("--lookupd-tcp-address=" + lookupd.tcpAddress()));
        all.addAll(List.of(flags));
        return start(all.toArray(String[]::new));
    }

    /**
     * Stops nsqd (SIGTERM: it writes what it holds to its data path) and starts it again on the same ports and data
     * path, as an operator's restart does; messages not yet delivered survive it.
     */
    public void restart() throws IOException {
        daemon.stop();
        List<String> command = new ArrayList<>(daemon.command);
        command.replaceAll(flag -> flag.startsWith("--tcp-address=") ? "--tcp-address=" + daemon.tcpAddress
                : flag.startsWith("--http-address=") ? "--http-address=" + daemon.httpAddress : flag);
        Daemon again = Daemon.start("nsqd", command);
        again.awaitPing();
        daemon = again;
    }

    /** @return host:port of the TCP protocol, for nsq.nsqd-tcp-addresses */
    public String tcpAddress() {
        return daemon.tcpAddress;
    }

    /** @return http://host:port of the HTTP API */
    public String httpUrl() {
        return "http://" + daemon.httpAddress;
    }

    /** @return what nsqd printed so far (for assertion messages) */
    public String log() {
        return daemon.log();
    }

    // ------------------------------------------------------------------ HTTP API

    /** Publishes one message (/pub). */
    public void publish(String topic, String body) {
        publish(topic, body.getBytes(StandardCharsets.UTF_8));
    }

    public void publish(String topic, byte[] body) {
        expectOk(post("/pub?topic=" + encode(topic), body), "/pub");
    }

    /** Publishes these messages in one /mpub (binary: any bytes, newlines too). */
    public void publishAll(String topic, List<String> bodies) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            out.writeInt(bodies.size());
            for (String body : bodies) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                out.writeInt(bytes.length);
                out.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        expectOk(post("/mpub?binary=true&topic=" + encode(topic), buffer.toByteArray()), "/mpub");
    }

    public void createTopic(String topic) {
        expectOk(post("/topic/create?topic=" + encode(topic), new byte[0]), "/topic/create");
    }

    /** Creates the channel (and its topic): messages published from now on are kept for it. */
    public void createChannel(String topic, String channel) {
        createTopic(topic); // nsqd answers 404 TOPIC_NOT_FOUND for a channel of a topic it does not have
        expectOk(post("/channel/create?topic=" + encode(topic) + "&channel=" + encode(channel), new byte[0]),
                "/channel/create");
    }

    /** @return the topic as /stats shows it now, or empty while nsqd does not have it */
    public Optional<TopicStats> topic(String topic) {
        HttpResponse<String> response = get("/stats?format=json&topic=" + encode(topic));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("nsqd /stats answered " + response.statusCode() + ": " + response.body());
        }
        try {
            JsonNode root = JSON.readTree(response.body());
            if (root.has("data")) { // the pre-1.0 envelope
                root = root.get("data");
            }
            for (JsonNode t : root.path("topics")) {
                if (topic.equals(t.path("topic_name").asText())) {
                    return Optional.of(TopicStats.of(t));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the channel as /stats shows it now, or empty while nsqd does not have it */
    public Optional<ChannelStats> channel(String topic, String channel) {
        return topic(topic).flatMap(t -> t.channel(channel));
    }

    /** @return the topic's message_count: messages ever published to it, 0 while it does not exist */
    public long messageCount(String topic) {
        return topic(topic).map(TopicStats::messageCount).orElse(0L);
    }

    // ------------------------------------------------------------------ reading messages

    /**
     * Subscribes to the topic on this channel (a new channel that is the topic's first gets what the topic holds),
     * reads exactly {@code count} messages within the time, FINs each, and disconnects.
     *
     * @throws AssertionError when fewer arrive in time
     */
    public List<Message> read(String topic, String channel, int count, Duration within) {
        List<Message> messages = new ArrayList<>();
        try (Subscription subscription = subscribe(topic, channel, count, within)) {
            while (messages.size() < count) {
                Message message = subscription.next();
                messages.add(message);
                subscription.command("FIN " + message.id());
            }
            return messages;
        } catch (SocketTimeoutException e) {
            throw new AssertionError(messages.size() + " of " + count + " messages of " + topic + " arrived within "
                    + within.toMillis() + " ms: " + messages);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until nsqd's queue scanner covers every channel that exists now: until then nsqd neither times out
     * in-flight messages nor puts messages REQed with a delay back. nsqd scans only the channels it listed at its last
     * refresh, every 5 s (QueueScanRefreshInterval, which v1.3.0 has no flag for), so on a channel younger than that a
     * REQ delay or a msg timeout can last up to 5 s longer than asked. A canary channel created now proves it: a
     * message REQed there with a 1 ms delay comes back once a refresh has listed the canary, and with it all older
     * channels.
     *
     * @return how long it took
     */
    public Duration awaitQueueScan() {
        long start = System.nanoTime();
        String topic = "queue-scan-canary";
        createChannel(topic, "canary");
        Duration within = Duration.ofSeconds(15);
        try (Subscription subscription = subscribe(topic, "canary", 1, within)) {
            publish(topic, "canary");
            Message first = subscription.next();
            subscription.command("REQ " + first.id() + " 1");
            Message again = subscription.next();
            if (!again.id().equals(first.id()) || again.attempts() != 2) {
                throw new AssertionError("canary " + first + " came back as " + again);
            }
            subscription.command("FIN " + again.id());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("nsqd did not scan a new channel within " + within.toSeconds() + " s: " + log());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private Subscription subscribe(String topic, String channel, int rdy, Duration within) throws IOException {
        Subscription subscription = new Subscription(new Socket(Daemon.host(daemon.tcpAddress),
                Daemon.port(daemon.tcpAddress)), System.nanoTime() + within.toNanos());
        try {
            subscription.out.write("  V2".getBytes(StandardCharsets.US_ASCII));
            subscription.command("SUB " + topic + " " + channel);
            Frame subscribed = subscription.frame();
            if (subscribed.type() != Frame.RESPONSE || !"OK".equals(subscribed.text())) {
                throw new AssertionError("SUB " + topic + " " + channel + " answered " + subscribed.text());
            }
            subscription.command("RDY " + Math.min(rdy, 10)); // within any --max-rdy-count a test sets
            return subscription;
        } catch (IOException | RuntimeException | Error e) {
            subscription.close();
            throw e;
        }
    }

    /** A minimal raw TCP consumer: every read waits until the deadline at most. */
    private static final class Subscription implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;
        private final OutputStream out;
        private final long deadline;

        Subscription(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            this.out = socket.getOutputStream();
            this.deadline = deadline;
        }

        void command(String line) throws IOException {
            RealNsqd.command(out, line);
        }

        Frame frame() throws IOException {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new SocketTimeoutException();
            }
            socket.setSoTimeout((int) left);
            return Frame.read(in);
        }

        /** @return the next message, answering heartbeats meanwhile */
        Message next() throws IOException {
            while (true) {
                Frame frame = frame();
                if (frame.type() == Frame.MESSAGE) {
                    return Message.of(frame.data());
                } else if (frame.type() == Frame.RESPONSE && "_heartbeat_".equals(frame.text())) {
                    command("NOP");
                } else if (frame.type() == Frame.ERROR) {
                    throw new AssertionError("nsqd: " + frame.text());
                }
            }
        }

        @Override
        public void close() throws IOException {
            try {
                command("CLS");
            } catch (IOException ignored) {
                // closing anyway
            } finally {
                socket.close();
            }
        }
    }

    private static void command(OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One message as nsqd sent it over TCP. */
    public record Message(String id, int attempts, long timestampNanos, byte[] body) {
        static Message of(byte[] data) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(data);
            long timestamp = buffer.getLong();
            int attempts = Short.toUnsignedInt(buffer.getShort());
            byte[] id = new byte[16];
            buffer.get(id);
            byte[] body = new byte[buffer.remaining()];
            buffer.get(body);
            return new Message(new String(id, StandardCharsets.US_ASCII), attempts, timestamp, body);
        }

        public String bodyUtf8() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return id + " (attempt " + attempts + "): " + bodyUtf8();
        }
    }

    private record Frame(int type, byte[] data) {
        static final int RESPONSE = 0;
        static final int ERROR = 1;
        static final int MESSAGE = 2;

        static Frame read(DataInputStream in) throws IOException {
            int size = in.readInt();
            int type = in.readInt();
            byte[] data = new byte[size - 4];
            in.readFully(data);
            return new Frame(type, data);
        }

        String text() {
            return type == MESSAGE ? HexFormat.of().formatHex(data) : new String(data, StandardCharsets.UTF_8);
        }
    }

    // ------------------------------------------------------------------ /stats

    /** A topic in /stats. */
    public record TopicStats(String name, long depth, long messageCount, List<ChannelStats> channels) {
        static TopicStats of(JsonNode t) {
            List<ChannelStats> channels = new ArrayList<>();
            t.path("channels").forEach(c -> channels.add(ChannelStats.of(c)));
            return new TopicStats(t.path("topic_name").asText(), t.path("depth").asLong(),
                    t.path("message_count").asLong(), List.copyOf(channels));
        }

        public Optional<ChannelStats> channel(String name) {
            return channels.stream().filter(c -> c.name().equals(name)).findFirst();
        }
    }

    /** A channel in /stats: its counters since it was created, and the clients connected now. */
    public record ChannelStats(String name, long depth, long inFlightCount, long deferredCount, long messageCount,
                               long requeueCount, long timeoutCount, List<ClientStats> clients) {
        static ChannelStats of(JsonNode c) {
            List<ClientStats> clients = new ArrayList<>();
            c.path("clients").forEach(k -> clients.add(ClientStats.of(k)));
            return new ChannelStats(c.path("channel_name").asText(), c.path("depth").asLong(),
                    c.path("in_flight_count").asLong(), c.path("deferred_count").asLong(),
                    c.path("message_count").asLong(), c.path("requeue_count").asLong(),
                    c.path("timeout_count").asLong(), List.copyOf(clients));
        }

        /** @return FINs of the clients connected now (nsqd counts FIN per client, not per channel) */
        public long finishCount() {
            return clients.stream().mapToLong(ClientStats::finishCount).sum();
        }
    }

    /** A client connection in /stats, with the features nsqd granted it. */
    public record ClientStats(String clientId, String hostname, String remoteAddress, String userAgent, long readyCount, long inFlightCount,
                              long messageCount, long finishCount, long requeueCount, boolean snappy,
                              boolean deflate, boolean tls, String tlsVersion, boolean authed, String authIdentity) {
        static ClientStats of(JsonNode k) {
            return new ClientStats(k.path("client_id").asText(), k.path("hostname").asText(),
                    k.path("remote_address").asText(), k.path("user_agent").asText(), k.path("ready_count").asLong(), k.path("in_flight_count").asLong(),
                    k.path("message_count").asLong(), k.path("finish_count").asLong(),
                    k.path("requeue_count").asLong(), k.path("snappy").asBoolean(), k.path("deflate").asBoolean(),
                    k.path("tls").asBoolean(), k.path("tls_version").asText(), k.path("authed").asBoolean(),
                    k.path("auth_identity").asText());
        }
    }

    // ------------------------------------------------------------------ IDENTIFY as nsqd logged it

    /** nsqd (v1.3.0, at its default log level) prints each IDENTIFY as Go's %+v of its identifyDataV2 struct. */
    private static final Pattern IDENTIFY = Pattern.compile("INFO: \\[([^\\]]+)\\] IDENTIFY: \\{(ClientID:.*"
            + " MsgTimeout:-?\\d+)\\}");
    private static final Pattern FIELD = Pattern.compile("(ClientID|Hostname|HeartbeatInterval|OutputBufferSize"
            + "|OutputBufferTimeout|FeatureNegotiation|TLSv1|Deflate|DeflateLevel|Snappy|SampleRate|UserAgent"
            + "|MsgTimeout):");

    /**
     * @return every IDENTIFY nsqd logged so far, oldest first, with the address it came from as "remote": field name (as
     * nsqd's identifyDataV2 names it: ClientID, HeartbeatInterval, MsgTimeout, UserAgent, ...) to the value it read
     */
    public List<java.util.Map<String, String>> identifies() {
        List<java.util.Map<String, String>> all = new ArrayList<>();
        Matcher line = IDENTIFY.matcher(log());
        while (line.find()) {
            String fields = line.group(2);
            java.util.Map<String, String> identify = new java.util.LinkedHashMap<>();
            identify.put("remote", line.group(1));
            Matcher field = FIELD.matcher(fields);
            String name = null;
            int valueStart = 0;
            while (field.find()) {
                if (name != null) {
                    identify.put(name, fields.substring(valueStart, field.start()).trim());
                }
                name = field.group(1);
                valueStart = field.end();
            }
            if (name != null) {
                identify.put(name, fields.substring(valueStart).trim());
            }
            all.add(identify);
        }
        return all;
    }

    // ------------------------------------------------------------------ NSQ's own tools

    /**
     * Reads {@code count} messages of the topic with NSQ's nsq_tail (a channel of its own, ephemeral) and returns the
     * lines it printed: one message body per line.
     *
     * @throws AssertionError when nsq_tail has not printed them within the time
     */
    public List<String> tail(String topic, int count, Duration within) throws IOException, InterruptedException {
        Path binary = assumeInstalled("nsq_tail");
        Files.createDirectories(LOGS);
        Path out = Files.createTempFile(LOGS, "nsq_tail-", ".out");
        Path err = Files.createTempFile(LOGS, "nsq_tail-", ".log");
        Process tail = new ProcessBuilder(binary.toString(), "--nsqd-tcp-address=" + tcpAddress(), "--topic=" + topic,
                "-n", String.valueOf(count)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        RUNNING.add(tail);
        try {
            if (!tail.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("nsq_tail did not print " + count + " messages of " + topic + " within "
                        + within.toSeconds() + " s: " + Files.readString(out) + Files.readString(err));
            }
            if (tail.exitValue() != 0) {
                throw new AssertionError("nsq_tail exited with " + tail.exitValue() + ": " + Files.readString(err));
            }
            return Files.readAllLines(out, StandardCharsets.UTF_8);
        } finally {
            tail.destroyForcibly();
            RUNNING.remove(tail);
        }
    }

    // ------------------------------------------------------------------ HTTP helpers

    private HttpResponse<String> post(String pathAndQuery, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(httpUrl() + pathAndQuery))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private HttpResponse<String> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(httpUrl() + pathAndQuery)).GET());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void expectOk(HttpResponse<String> response, String what) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("nsqd " + what + " answered " + response.statusCode() + ": "
                    + response.body());
        }
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        daemon.stop();
        deleteTree(dataPath);
    }

    private static void deleteTree(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            System.err.println("could not delete " + directory + ": " + e);
        }
    }

    // ------------------------------------------------------------------ nsqlookupd

    /** A real nsqlookupd on 127.0.0.1, ports picked by the kernel; skips the test when it is not installed. */
    public static final class Lookupd implements AutoCloseable {

        private final Daemon daemon;

        private Lookupd(Daemon daemon) {
            this.daemon = daemon;
        }

        public static Lookupd start() throws IOException {
            Path binary = assumeInstalled("nsqlookupd");
            Lookupd lookupd = new Lookupd(Daemon.start("nsqlookupd", List.of(binary.toString(),
                    "--tcp-address=127.0.0.1:0", "--http-address=127.0.0.1:0", "--broadcast-address=127.0.0.1")));
            lookupd.daemon.awaitPing();
            return lookupd;
        }

        /** @return host:port where nsqd registers (nsqd --lookupd-tcp-address) */
        public String tcpAddress() {
            return daemon.tcpAddress;
        }

        /** @return host:port of the HTTP API, for nsq.lookupd-http-addresses */
        public String httpAddress() {
            return daemon.httpAddress;
        }

        /** @return the TCP addresses (broadcast_address:tcp_port) of the producers of the topic lookupd knows now */
        public List<String> producers(String topic) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create("http://" + daemon.httpAddress
                    + "/lookup?topic=" + encode(topic))).GET());
            if (response.statusCode() == 404) {
                return List.of();
            }
            try {
                JsonNode root = JSON.readTree(response.body());
                if (root.has("data")) {
                    root = root.get("data");
                }
                List<String> producers = new ArrayList<>();
                root.path("producers").forEach(p -> producers.add(p.path("broadcast_address").asText() + ":"
                        + p.path("tcp_port").asInt()));
                return producers;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public String log() {
            return daemon.log();
        }

        @Override
        public void close() {
            daemon.stop();
        }
    }

    // ------------------------------------------------------------------ a process of NSQ's

    /** A started NSQ daemon: its process, its log file, and the addresses it printed once listening. */
    private static final class Daemon {
        private final String name;
        private final List<String> command;
        private final Process process;
        private final Path log;
        private volatile String tcpAddress;
        private volatile String httpAddress;

        private Daemon(String name, List<String> command, Process process, Path log) {
            this.name = name;
            this.command = List.copyOf(command);
            this.process = process;
            this.log = log;
        }

        static Daemon start(String name, List<String> command) throws IOException {
            Files.createDirectories(LOGS);
            Path log = Files.createTempFile(LOGS, name + "-", ".log");
            Files.writeString(log, "launched: " + String.join(" ", command) + System.lineSeparator());
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            RUNNING.add(process);
            Daemon daemon = new Daemon(name, command, process, log);
            try {
                await().atMost(STARTUP).pollInterval(Duration.ofMillis(20)).until(daemon::listening);
            } catch (RuntimeException | Error e) {
                daemon.stop();
                throw new IllegalStateException(name + " did not listen within " + STARTUP.toSeconds() + " s: "
                        + daemon.log(), e);
            }
            return daemon;
        }

        /** @return whether the log shows both addresses; throws if the process is gone */
        private boolean listening() {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + log());
            }
            Matcher matcher = LISTENING.matcher(log());
            while (matcher.find()) {
                if (matcher.group(1).equals("TCP")) {
                    tcpAddress = matcher.group(2);
                } else {
                    httpAddress = matcher.group(2);
                }
            }
            return tcpAddress != null && httpAddress != null;
        }

        void awaitPing() {
            URI ping = URI.create("http://" + httpAddress + "/ping");
            try {
                await().atMost(STARTUP).pollInterval(Duration.ofMillis(20)).until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + log());
                    }
                    try {
                        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(ping)
                                .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
                        return response.statusCode() == 200 && "OK".equals(response.body().trim());
                    } catch (ConnectException notYet) {
                        return false;
                    }
                });
            } catch (RuntimeException | Error e) {
                stop();
                throw e;
            }
        }

        static String host(String address) {
            return address.substring(0, address.lastIndexOf(':'));
        }

        static int port(String address) {
            return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        }

        String log() {
            try {
                // leniently: nsqd's debug output holds message bodies, which need not be UTF-8
                return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        /** SIGTERM (nsqd flushes and exits), SIGKILL after 5 s. */
        void stop() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            RUNNING.remove(process);
        }
    }
}
