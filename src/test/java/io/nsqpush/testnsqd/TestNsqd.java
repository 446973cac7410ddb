package io.nsqpush.testnsqd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.net.ssl.SSLContext;

/**
 * An in-process fake of nsqd's TCP protocol (V2) for tests: plain blocking sockets, one reader and one writer
 * thread per client, one lock around broker state (see {@link Broker}), one timer thread for heartbeats, message
 * timeouts and deferred messages.
 *
 * <p>It is the oracle the product's NSQ client is tested against, so it imports nothing from the product and mirrors
 * real nsqd 1.3 (nsqd/protocol_v2.go, channel.go, client_v2.go): the same error codes and texts, the same fatal vs
 * non-fatal split, and the same message life cycle. Like nsqd, a client's in-flight messages are not requeued when it
 * disconnects: they time out after that client's msg_timeout.
 */
public final class TestNsqd implements AutoCloseable {

    /** Frame types of nsqd's server frames. */
    public static final int FRAME_RESPONSE = 0;
    public static final int FRAME_ERROR = 1;
    public static final int FRAME_MESSAGE = 2;

    /** What a successful AUTH answers as the identity (nsqd passes on what its auth server says). */
    public static final String AUTH_IDENTITY = "test-nsqd-identity";
    public static final String AUTH_IDENTITY_URL = "https://auth.test-nsqd.invalid/identity";

    private final Options options;
    private final ScheduledExecutorService timer;
    private final Broker broker;
    private final Object lifecycleLock = new Object();
    private ServerSocket serverSocket;
    private Thread acceptThread;
    private int port;
    private boolean closed;

    private TestNsqd(Options options) {
        options.validate();
        this.options = options.copy();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("test-nsqd-timer"));
        executor.setRemoveOnCancelPolicy(true);
        this.timer = Executors.unconfigurableScheduledExecutorService(executor);
        this.broker = new Broker(this.options, timer);
    }

    /** Starts a test nsqd on an ephemeral port of 127.0.0.1 with default options. */
    public static TestNsqd start() {
        return start(new Options());
    }

    public static TestNsqd start(Options options) {
        TestNsqd nsqd = new TestNsqd(options);
        nsqd.listen(options.port());
        return nsqd;
    }

    public int port() {
        return port;
    }

    /** "127.0.0.1:port". */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public Options options() {
        return options.copy();
    }

    public boolean isRunning() {
        synchronized (lifecycleLock) {
            return serverSocket != null;
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Closes the listener and every client connection but keeps topics, channels and messages: in-flight and deferred
     * messages go back to their channel queues, as nsqd persists them on a clean exit. {@link #restart()} resumes.
     */
    public void stop() {
        Thread acceptor;
        synchronized (lifecycleLock) {
            if (serverSocket == null) {
                return;
            }
            closeQuietly(serverSocket);
            serverSocket = null;
            acceptor = acceptThread;
            acceptThread = null;
        }
        joinQuietly(acceptor);
        for (ClientRecord client : broker.clients()) {
            client.close("nsqd stopped");
        }
        broker.persistForRestart();
    }

    /** For now the same as {@link #stop()}: connections drop, state is kept. */
    public void kill() {
        stop();
    }

    /** Listens again on the same port (SO_REUSEADDR) with the state kept by {@link #stop()}. */
    public void restart() {
        synchronized (lifecycleLock) {
            if (closed) {
                throw new IllegalStateException("test nsqd is closed");
            }
            if (serverSocket != null) {
                throw new IllegalStateException("test nsqd is running; stop() it first");
            }
        }
        listen(port);
    }

    @Override
    public void close() {
        stop();
        synchronized (lifecycleLock) {
            closed = true;
        }
        timer.shutdownNow();
    }

    private void listen(int requestedPort) {
        synchronized (lifecycleLock) {
            try {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort), 128);
                serverSocket = socket;
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("test nsqd cannot listen on port " + requestedPort, e);
            }
            ServerSocket listening = serverSocket;
            acceptThread = DaemonThreads.start("test-nsqd-accept-" + port, () -> acceptLoop(listening));
        }
    }

    private void acceptLoop(ServerSocket listening) {
        while (!listening.isClosed()) {
            Socket socket;
            try {
                socket = listening.accept();
            } catch (IOException e) {
                return; // listener closed by stop()
            }
            synchronized (lifecycleLock) {
                if (serverSocket != listening) {
                    closeQuietly(socket); // raced with stop()
                    return;
                }
                ClientSession.start(broker, socket);
            }
        }
    }

    // ---------------------------------------------------------------- publishing from the test

    /** Publishes like {@code PUB} (not recorded in {@link #published(String)}); returns the message id. */
    public String publish(String topic, byte[] body) {
        requireValidTopic(topic);
        requireNonEmpty(body);
        return broker.publish(topic, body, 0, null);
    }

    public String publish(String topic, String body) {
        return publish(topic, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Publishes like {@code DPUB}: the message is delivered no earlier than {@code deferMs} from now. */
    public String publishDeferred(String topic, byte[] body, long deferMs) {
        if (deferMs < 0) {
            throw new IllegalArgumentException("deferMs must not be negative: " + deferMs);
        }
        requireValidTopic(topic);
        requireNonEmpty(body);
        return broker.publish(topic, body, deferMs, null);
    }

    public String publishDeferred(String topic, String body, long deferMs) {
        return publishDeferred(topic, body.getBytes(StandardCharsets.UTF_8), deferMs);
    }

    // ---------------------------------------------------------------- what clients did

    /** Every client ever connected, in connection order, closed ones included. */
    public List<ClientRecord> clients() {
        return broker.clients();
    }

    public List<ClientRecord> connectedClients() {
        return broker.clients().stream().filter(ClientRecord::connected).toList();
    }

    /** Commands with this name from all clients, in receive order. */
    public List<Command> commands(String name) {
        return broker.commands(name);
    }

    /** Messages clients sent with PUB, MPUB or DPUB to this topic, in receive order. */
    public List<PublishedMessage> published(String topic) {
        return broker.published(topic);
    }

    // ---------------------------------------------------------------- stats (like nsqd's /stats)

    /** Messages queued in the channel: neither in flight nor deferred. */
    public int depth(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> c.queue.size(), 0);
    }

    /** Messages published to the topic before it had any channel, waiting for the first one. */
    public int topicDepth(String topic) {
        return broker.topicDepth(topic);
    }

    public int inFlight(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> c.inFlight.size(), 0);
    }

    public int deferred(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> c.deferred.size(), 0);
    }

    /**
     * Not something nsqd does: makes every deferred (REQed or DPUBed) message of the channel due now, so that a test
     * of a long REQ delay asserts the delay nsqd was asked for (the REQ command's argument) instead of waiting it out.
     * @return how many messages were made due
     */
    public int deliverDeferredNow(String topic, String channel) {
        return broker.deliverDeferredNow(topic, channel);
    }

    public long timeoutCount(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> c.timeoutCount, 0L);
    }

    public long requeueCount(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> c.requeueCount, 0L);
    }

    public long finCount(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> c.finCount, 0L);
    }

    /** Every send of a message of this channel to a client, in send order. */
    public List<DeliveredMessage> deliveries(String topic, String channel) {
        return broker.channelStat(topic, channel, c -> List.copyOf(c.deliveries), List.of());
    }

    public List<String> topics() {
        return broker.topicNames();
    }

    public List<String> channels(String topic) {
        return broker.channelNames(topic);
    }

    // ---------------------------------------------------------------- helpers

    /** {@code [4-byte size][4-byte type][data]} with size = 4 + data length, as nsqd frames everything it sends. */
    public static byte[] frame(int type, byte[] data) {
        return ByteBuffer.allocate(8 + data.length).putInt(4 + data.length).putInt(type).put(data).array();
    }

    private static void requireValidTopic(String topic) {
        if (!NsqNames.isValid(topic)) {
            throw new IllegalArgumentException("not a valid nsq topic name: " + topic);
        }
    }

    private static void requireNonEmpty(byte[] body) {
        if (body.length == 0) {
            throw new IllegalArgumentException("nsqd refuses empty messages");
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    private static void joinQuietly(Thread thread) {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** nsqd's command-line limits that tests may want to change; defaults are nsqd's. */
    public static final class Options {
        private int port;
        private int maxRdyCount = 2500;
        private long defaultMsgTimeoutMs = 60_000;
        private long maxMsgTimeoutMs = 900_000;
        private long maxReqTimeoutMs = 3_600_000;
        private int maxMsgSize = 1_048_576;
        private int maxBodySize = 5 * 1_048_576;
        private long defaultHeartbeatIntervalMs = 30_000;
        private long maxHeartbeatIntervalMs = 60_000;
        private SSLContext tls;
        private boolean tlsRequired;
        private boolean tlsClientAuth;
        private boolean snappy = true;
        private boolean deflate = true;
        private int maxDeflateLevel = 6;
        private String authSecret;
        private int nodeId = MessageIds.defaultNodeId();
        private java.util.function.LongSupplier idClock = Options::epochNanos;

        /**
         * {@code --node-id} (0-1023), part of every message id; nsqd's default, like this one's, is the crc32 of the
         * hostname modulo 1024, so every nsqd of one host started without it has the same.
         */
        public Options nodeId(int nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        /**
         * The clock message ids are made of (nanoseconds since the epoch; nsqd's time.Now()). A test may hold it
         * still to publish many messages "at the same instant" (at most 4096 per topic, as in one nsqd tick).
         */
        public Options idClock(java.util.function.LongSupplier epochNanos) {
            this.idClock = epochNanos;
            return this;
        }

        public int nodeId() {
            return nodeId;
        }

        public java.util.function.LongSupplier idClock() {
            return idClock;
        }

        private static long epochNanos() {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        /** 0 (the default) picks an ephemeral port. */
        public Options port(int port) {
            this.port = port;
            return this;
        }

        public Options maxRdyCount(int maxRdyCount) {
            this.maxRdyCount = maxRdyCount;
            return this;
        }

        /** {@code --msg-timeout}: used for clients whose IDENTIFY does not set msg_timeout. */
        public Options defaultMsgTimeoutMs(long ms) {
            this.defaultMsgTimeoutMs = ms;
            return this;
        }

        public Options maxMsgTimeoutMs(long ms) {
            this.maxMsgTimeoutMs = ms;
            return this;
        }

        public Options maxReqTimeoutMs(long ms) {
            this.maxReqTimeoutMs = ms;
            return this;
        }

        public Options maxMsgSize(int bytes) {
            this.maxMsgSize = bytes;
            return this;
        }

        /** {@code --max-body-size}: limit of an IDENTIFY, AUTH or whole MPUB body. */
        public Options maxBodySize(int bytes) {
            this.maxBodySize = bytes;
            return this;
        }

        /** nsqd's is {@code --client-timeout} / 2 = 30 s. */
        public Options defaultHeartbeatIntervalMs(long ms) {
            this.defaultHeartbeatIntervalMs = ms;
            return this;
        }

        public Options maxHeartbeatIntervalMs(long ms) {
            this.maxHeartbeatIntervalMs = ms;
            return this;
        }

        /** {@code --tls-cert/--tls-key}: offers {@code tls_v1}; its trust managers check client certificates. */
        public Options tls(SSLContext serverContext) {
            this.tls = serverContext;
            return this;
        }

        /** {@code --tls-required}: every command but IDENTIFY is a fatal E_INVALID until the client upgraded. */
        public Options tlsRequired(boolean required) {
            this.tlsRequired = required;
            return this;
        }

        /**
         * {@code --tls-client-auth-policy=require-verify}: the handshake needs a client certificate the context trusts.
         * Without it a certificate the client offers is still verified (nsqd's VerifyClientCertIfGiven). As in nsqd,
         * requiring client certificates also makes TLS required.
         */
        public Options tlsClientAuth(boolean required) {
            this.tlsClientAuth = required;
            return this;
        }

        /** {@code --snappy}: on by default, as in nsqd; granted only to clients that ask. */
        public Options snappy(boolean enabled) {
            this.snappy = enabled;
            return this;
        }

        /** {@code --deflate}: on by default, as in nsqd; granted only to clients that ask. */
        public Options deflate(boolean enabled) {
            this.deflate = enabled;
            return this;
        }

        /** {@code --max-deflate-level} (1-9, default 6): caps the level a client asks for. */
        public Options maxDeflateLevel(int level) {
            this.maxDeflateLevel = level;
            return this;
        }

        /**
         * Enables auth (nsqd with {@code --auth-http-address}): IDENTIFY answers {@code auth_required}, this secret is
         * the only one the "auth server" accepts, and it grants everything. Null (the default) disables auth.
         */
        public Options authSecret(String secret) {
            this.authSecret = secret;
            return this;
        }

        public int port() {
            return port;
        }

        public SSLContext tls() {
            return tls;
        }

        /** True also when only {@link #tlsClientAuth(boolean)} was set, as nsqd does. */
        public boolean tlsRequired() {
            return tlsRequired || tlsClientAuth;
        }

        public boolean tlsClientAuth() {
            return tlsClientAuth;
        }

        public boolean snappy() {
            return snappy;
        }

        public boolean deflate() {
            return deflate;
        }

        public int maxDeflateLevel() {
            return maxDeflateLevel;
        }

        public String authSecret() {
            return authSecret;
        }

        public int maxRdyCount() {
            return maxRdyCount;
        }

        public long defaultMsgTimeoutMs() {
            return defaultMsgTimeoutMs;
        }

        public long maxMsgTimeoutMs() {
            return maxMsgTimeoutMs;
        }

        public long maxReqTimeoutMs() {
            return maxReqTimeoutMs;
        }

        public int maxMsgSize() {
            return maxMsgSize;
        }

        public int maxBodySize() {
            return maxBodySize;
        }

        public long defaultHeartbeatIntervalMs() {
            return defaultHeartbeatIntervalMs;
        }

        public long maxHeartbeatIntervalMs() {
            return maxHeartbeatIntervalMs;
        }

        Options copy() {
            return new Options().port(port).maxRdyCount(maxRdyCount).defaultMsgTimeoutMs(defaultMsgTimeoutMs)
                    .maxMsgTimeoutMs(maxMsgTimeoutMs).maxReqTimeoutMs(maxReqTimeoutMs).maxMsgSize(maxMsgSize)
                    .maxBodySize(maxBodySize).defaultHeartbeatIntervalMs(defaultHeartbeatIntervalMs)
                    .maxHeartbeatIntervalMs(maxHeartbeatIntervalMs).tls(tls).tlsRequired(tlsRequired)
                    .tlsClientAuth(tlsClientAuth).snappy(snappy).deflate(deflate).maxDeflateLevel(maxDeflateLevel)
                    .authSecret(authSecret).nodeId(nodeId).idClock(idClock);
        }

        /** nsqd refuses to start with these. */
        void validate() {
            if (tls == null && tlsRequired()) {
                throw new IllegalArgumentException("cannot require TLS client connections without TLS key and cert");
            }
            if (nodeId < 0 || nodeId >= 1024) {
                throw new IllegalArgumentException("--node-id must be [0,1024)");
            }
            if (maxDeflateLevel < 1 || maxDeflateLevel > 9) {
                throw new IllegalArgumentException("--max-deflate-level must be [1,9]");
            }
        }
    }
}
