package io.nsqpush.testnsqd;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection: what it sent, its negotiated settings and its state, plus levers for tests (raw bytes, error
 * frames, disconnect). Kept after the connection closes. State fields are written under the broker lock and
 * volatile so tests can read them from any thread.
 */
public final class ClientRecord {

    /** nsqd's client states, plus the end of the connection. */
    enum State { INIT, SUBSCRIBED, CLOSING, DISCONNECTED }

    /** How long a fatal error frame may take to reach a client that does not read before the socket is closed. */
    private static final long FATAL_CLOSE_GRACE_MS = 5_000;

    private final int id;
    private final Socket socket;
    private final Broker broker;
    private final FrameWriter writer;
    private final String remoteAddress;
    private final List<Command> commands = new ArrayList<>();
    private final AtomicInteger heartbeatsSent = new AtomicInteger();

    private volatile State state = State.INIT;
    private volatile FixtureChannel channel;
    private volatile int rdy;
    private volatile int inFlight;
    private volatile int maxInFlightSeen;
    private volatile long msgTimeoutMs;
    private volatile long heartbeatIntervalMs;
    private volatile Map<String, Object> identify = Map.of();
    private volatile boolean connected = true;
    private volatile String closeReason;
    private volatile long closedAtNanos;
    private volatile boolean tls;
    private volatile String tlsPeerPrincipal;
    private volatile String compression = "none";
    private volatile boolean authenticated;

    // guarded by this
    private boolean closing;
    private String fatalError;
    private boolean closed;
    private ScheduledFuture<?> heartbeatTask;

    ClientRecord(int id, Socket socket, Broker broker) {
        this.id = id;
        this.socket = socket;
        this.broker = broker;
        this.remoteAddress = String.valueOf(socket.getRemoteSocketAddress());
        this.msgTimeoutMs = broker.options().defaultMsgTimeoutMs();
        this.heartbeatIntervalMs = broker.options().defaultHeartbeatIntervalMs();
        this.writer = new FrameWriter(this, socket);
    }

    // ---------------------------------------------------------------- for tests

    /** 1 for the first client of this test nsqd, then 2, … */
    public int id() {
        return id;
    }

    public String remoteAddress() {
        return remoteAddress;
    }

    /** Snapshot of every command received, in order. */
    public List<Command> commands() {
        synchronized (commands) {
            return List.copyOf(commands);
        }
    }

    public List<Command> commands(String name) {
        return commands().stream().filter(c -> c.name().equals(name)).toList();
    }

    public int rdy() {
        return rdy;
    }

    /** Messages sent to this client and neither FINed, REQed nor timed out. */
    public int inFlight() {
        return inFlight;
    }

    public int maxInFlightSeen() {
        return maxInFlightSeen;
    }

    public boolean connected() {
        return connected;
    }

    /** The IDENTIFY JSON as parsed; empty before IDENTIFY. */
    public Map<String, Object> identify() {
        return identify;
    }

    public int heartbeatsSent() {
        return heartbeatsSent.get();
    }

    /** Why the connection ended (e.g. the fatal error sent, a read timeout, "client closed"), null while open. */
    public String closeReason() {
        return closeReason;
    }

    /** {@link System#nanoTime()} when the connection was closed; 0 while open. */
    public long closedAtNanos() {
        return closedAtNanos;
    }

    /** "INIT", "SUBSCRIBED", "CLOSING" (after CLS) or "DISCONNECTED". */
    public String state() {
        return state.name();
    }

    public String topic() {
        FixtureChannel current = channel;
        return current == null ? null : current.topicName;
    }

    public String channel() {
        FixtureChannel current = channel;
        return current == null ? null : current.name;
    }

    /** The negotiated msg_timeout. */
    public long msgTimeoutMs() {
        return msgTimeoutMs;
    }

    /** The negotiated heartbeat interval; 0 when the client disabled heartbeats. */
    public long heartbeatIntervalMs() {
        return heartbeatIntervalMs;
    }

    /** Whether the connection was upgraded to TLS (IDENTIFY's tls_v1). */
    public boolean tls() {
        return tls;
    }

    /** The subject of the certificate the client presented in the TLS handshake, null without one. */
    public String tlsPeerPrincipal() {
        return tlsPeerPrincipal;
    }

    /** "none", "snappy" or "deflate": what IDENTIFY upgraded the connection to. */
    public String compression() {
        return compression;
    }

    /** Whether the client sent AUTH with the right secret. */
    public boolean authenticated() {
        return authenticated;
    }

    /**
     * Writes bytes as they are, after what is already queued (for malformed-frame tests); through TLS and compression
     * once the connection was upgraded.
     */
    public void sendRaw(byte[] bytes) {
        writer.sendRaw(bytes.clone());
    }

    /** Sends an error frame with this text (e.g. "E_INVALID boom"); a fatal one then closes the connection. */
    public void sendError(String text, boolean fatal) {
        writer.send(TestNsqd.FRAME_ERROR, text.getBytes(StandardCharsets.UTF_8));
        if (fatal) {
            closeAfterPendingWrites("fatal error sent by the test: " + text);
        }
    }

    /** Drops the connection abruptly, as a network failure or nsqd going away would. */
    public void disconnect() {
        close("disconnected by the test");
    }

    @Override
    public String toString() {
        return "ClientRecord[" + id + " " + remoteAddress + " " + state + " rdy=" + rdy + " inFlight=" + inFlight
                + (closeReason == null ? "" : " closed: " + closeReason) + "]";
    }

    // ---------------------------------------------------------------- for the fixture

    FrameWriter writer() {
        return writer;
    }

    Socket socket() {
        return socket;
    }

    State currentState() {
        return state;
    }

    FixtureChannel fixtureChannel() {
        return channel;
    }

    void upgradedToTls(String peerPrincipal) {
        tlsPeerPrincipal = peerPrincipal;
        tls = true;
    }

    void compressed(String kind) {
        compression = kind;
    }

    void markAuthenticated() {
        authenticated = true;
    }

    void addCommand(Command command) {
        synchronized (commands) {
            commands.add(command);
        }
    }

    void identified(Map<String, Object> data, long negotiatedMsgTimeoutMs) {
        identify = data;
        msgTimeoutMs = negotiatedMsgTimeoutMs;
    }

    /** Sets the interval (0 = heartbeats disabled) and restarts the heartbeat timer, as nsqd's IDENTIFY does. */
    void heartbeatInterval(long intervalMs) {
        heartbeatIntervalMs = intervalMs;
        synchronized (this) {
            if (heartbeatTask != null) {
                heartbeatTask.cancel(false);
                heartbeatTask = null;
            }
            if (!closed && intervalMs > 0) {
                heartbeatTask = broker.scheduleAtFixedRate(this::sendHeartbeat, intervalMs);
            }
        }
    }

    private void sendHeartbeat() {
        synchronized (this) {
            if (closed || closing) {
                return;
            }
        }
        heartbeatsSent.incrementAndGet();
        writer.send(TestNsqd.FRAME_RESPONSE, "_heartbeat_".getBytes(StandardCharsets.US_ASCII));
    }

    /** Subscribed clients get messages only up to RDY, not after CLS, not once the connection is going. */
    boolean canReceive() {
        return state == State.SUBSCRIBED && inFlight < rdy;
    }

    void subscribed(FixtureChannel subscribedTo) {
        channel = subscribedTo;
        state = State.SUBSCRIBED;
    }

    void setRdy(int count) {
        rdy = count;
    }

    void startClose() {
        rdy = 0;
        state = State.CLOSING;
    }

    void markDisconnected() {
        state = State.DISCONNECTED;
    }

    void inFlightIncrement() {
        inFlight++;
        maxInFlightSeen = Math.max(maxInFlightSeen, inFlight);
    }

    void inFlightDecrement() {
        inFlight--;
    }

    /**
     * A fatal error is on its way (e.g. a failed TLS handshake, while the writer may already notice the broken
     * socket): whatever closes the connection first, this stays the reason.
     */
    synchronized void failing(String reason) {
        if (fatalError == null) {
            fatalError = reason;
        }
    }

    /** After a fatal error: no more messages, the queued frames (the error) go out, then the socket closes. */
    void closeAfterPendingWrites(String reason) {
        synchronized (this) {
            if (closed || closing) {
                return;
            }
            closing = true;
            fatalError = reason;
        }
        broker.clientGone(this);
        writer.closeAfterPending(reason);
        // a client that does not read would block the writer forever; nsqd has a write deadline for that
        broker.schedule(() -> close(reason + " (error frame not delivered in time)"), FATAL_CLOSE_GRACE_MS,
                TimeUnit.MILLISECONDS);
    }

    /** Closes the connection now; the first reason wins. */
    void close(String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            // the fatal error stays the reason when the client hung up before the error frame was written
            closeReason = fatalError == null || reason.startsWith(fatalError)
                    ? reason : fatalError + " (" + reason + ")";
            closedAtNanos = System.nanoTime();
            if (heartbeatTask != null) {
                heartbeatTask.cancel(false);
                heartbeatTask = null;
            }
        }
        broker.clientGone(this);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        writer.stop();
        connected = false;
    }
}
