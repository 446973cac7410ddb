package io.nsqpush.testnsqd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

import static io.nsqpush.testnsqd.NsqClientError.fatal;
import static io.nsqpush.testnsqd.NsqClientError.nonFatal;

/**
 * The reader side of one connection, nsqd's IOLoop: reads the magic, then command lines (with a read timeout of twice
 * the heartbeat interval, as nsqd's read deadline), executes them in nsqd's order of checks and answers with a
 * response or an error frame. After a fatal error it stops reading and the connection closes once the error frame has
 * been written. IDENTIFY may switch the streams to TLS and then to snappy or deflate (see {@link StreamUpgrades}).
 */
final class ClientSession {

    /** nsqd reads lines with a 16 KiB bufio.Reader: a longer line fails the read and drops the connection. */
    private static final int MAX_LINE = 16 * 1024;
    private static final byte[] OK = "OK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE_WAIT = "CLOSE_WAIT".getBytes(StandardCharsets.US_ASCII);
    private static final int MESSAGE_ID_LENGTH = 16;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Broker broker;
    private final ClientRecord client;
    private final TestNsqd.Options options;
    /** The socket's or, after the TLS upgrade, the TLS socket's stream: what a compressor reads from. */
    private InputStream transportIn;
    private DataInputStream in;

    private ClientSession(Broker broker, ClientRecord client) {
        this.broker = broker;
        this.client = client;
        this.options = broker.options();
    }

    /** Registers a freshly accepted connection and starts its reader and writer threads. */
    static void start(Broker broker, Socket socket) {
        ClientRecord client = broker.register(socket);
        try {
            socket.setTcpNoDelay(true);
        } catch (IOException ignored) {
            // only latency
        }
        client.writer().start();
        ClientSession session = new ClientSession(broker, client);
        DaemonThreads.start("test-nsqd-client-" + client.id() + "-reader", session::run);
    }

    private void run() {
        Socket socket = client.socket();
        try {
            readFrom(socket.getInputStream());
            if (!readMagic()) {
                return;
            }
            client.heartbeatInterval(client.heartbeatIntervalMs()); // nsqd's heartbeat ticker starts with the pump
            while (true) {
                long heartbeatMs = client.heartbeatIntervalMs();
                socket.setSoTimeout(heartbeatMs > 0 ? (int) Math.min(Integer.MAX_VALUE, 2 * heartbeatMs) : 0);
                String line = readLine();
                if (line == null) {
                    client.close("client closed the connection");
                    return;
                }
                if (!execute(line)) {
                    return; // fatal: the writer closes the connection after the error frame
                }
            }
        } catch (SocketTimeoutException e) {
            client.close("no command for 2 x heartbeat interval (" + 2 * client.heartbeatIntervalMs() + " ms)");
        } catch (IOException e) {
            client.close("read failed: " + e.getMessage());
        } catch (RuntimeException e) {
            client.close("test nsqd bug: " + e);
            throw e;
        }
    }

    /** Like nsqd's bufio.NewReaderSize on each upgrade: bytes still buffered from before are dropped. */
    private void readFrom(InputStream transport) {
        transportIn = transport;
        in = new DataInputStream(new BufferedInputStream(transport, MAX_LINE));
    }

    private void readFrom(InputStream transport, InputStream decompressed) {
        transportIn = transport;
        in = new DataInputStream(new BufferedInputStream(decompressed, MAX_LINE));
    }

    private boolean readMagic() throws IOException {
        byte[] magic = new byte[4];
        try {
            in.readFully(magic);
        } catch (EOFException e) {
            client.close("closed before sending the protocol magic");
            return false;
        }
        if (!Arrays.equals(magic, "  V2".getBytes(StandardCharsets.US_ASCII))) {
            client.writer().send(TestNsqd.FRAME_ERROR, "E_BAD_PROTOCOL".getBytes(StandardCharsets.US_ASCII));
            client.closeAfterPendingWrites("bad protocol magic '" + new String(magic, StandardCharsets.ISO_8859_1) + "'");
            return false;
        }
        return true;
    }

    /** A line without its '\n' (and an optional '\r'), as ISO-8859-1 so that byte lengths survive; null at EOF. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int next;
        while ((next = in.read()) != -1) {
            if (next == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE - 1) {
                throw new IOException("command line longer than " + MAX_LINE + " bytes");
            }
            line.write(next);
        }
        return null;
    }

    /** Executes one command; false after a fatal error. */
    private boolean execute(String line) {
        Input input = new Input(line.split(" ", -1), System.nanoTime());
        byte[] response;
        try {
            response = dispatch(input);
        } catch (NsqClientError error) {
            input.record();
            client.writer().send(TestNsqd.FRAME_ERROR, error.frameText().getBytes(StandardCharsets.UTF_8));
            if (error.isFatal()) {
                client.closeAfterPendingWrites(error.frameText());
                return false;
            }
            return true;
        }
        input.record();
        if (response != null) {
            client.writer().send(TestNsqd.FRAME_RESPONSE, response);
        }
        return true;
    }

    private byte[] dispatch(Input input) throws NsqClientError {
        String name = input.params[0];
        if (name.equals("IDENTIFY")) {
            return identify(input);
        }
        if (options.tlsRequired() && !client.tls()) { // nsqd's enforceTLSPolicy, before every other command
            throw fatal("E_INVALID", "cannot " + name + " in current state (TLS required)");
        }
        switch (name) {
            case "AUTH":
                return auth(input);
            case "PUB":
                return pub(input);
            case "MPUB":
                return mpub(input);
            case "DPUB":
                return dpub(input);
            default:
                break;
        }
        // commands without a body are recorded before they take effect, so a test that sees the effect sees them
        input.record();
        return switch (name) {
            case "SUB" -> sub(input);
            case "RDY" -> rdy(input);
            case "FIN" -> fin(input);
            case "REQ" -> req(input);
            case "TOUCH" -> touch(input);
            case "CLS" -> cls();
            case "NOP" -> null;
            default -> throw fatal("E_INVALID", "invalid command " + name);
        };
    }

    // ---------------------------------------------------------------- commands with a body

    private byte[] identify(Input input) throws NsqClientError {
        if (client.currentState() != ClientRecord.State.INIT) {
            throw fatal("E_INVALID", "cannot IDENTIFY in current state");
        }
        int size = readLength("E_BAD_BODY", "IDENTIFY failed to read body size");
        if (size > options.maxBodySize()) {
            throw fatal("E_BAD_BODY", "IDENTIFY body too big " + size + " > " + options.maxBodySize());
        }
        if (size <= 0) {
            throw fatal("E_BAD_BODY", "IDENTIFY invalid body size " + size);
        }
        input.body = readBody(size, "E_BAD_BODY", "IDENTIFY failed to read body");
        input.record();
        IdentifyNegotiation.Negotiated negotiated = IdentifyNegotiation.negotiate(input.body, client, options);
        client.identified(negotiated.data(), negotiated.msgTimeoutMs());
        client.heartbeatInterval(negotiated.heartbeatIntervalMs());
        if (!negotiated.featureNegotiation()) {
            return OK;
        }
        IdentifyNegotiation.Features features = IdentifyNegotiation.features(negotiated, options);
        // nsqd sends the JSON itself, then upgrades in this order, each followed by an OK in the new form
        client.writer().send(TestNsqd.FRAME_RESPONSE, IdentifyNegotiation.response(negotiated, features, options));
        if (features.tls()) {
            upgradeTls();
        }
        if (features.snappy()) {
            readFrom(transportIn, StreamUpgrades.snappyIn(transportIn));
            client.writer().switchToCompression(StreamUpgrades::snappyOut);
            client.compressed("snappy");
        }
        if (features.deflate()) {
            int level = features.deflateLevel();
            readFrom(transportIn, StreamUpgrades.deflateIn(transportIn));
            client.writer().switchToCompression(wire -> StreamUpgrades.deflateOut(wire, level));
            client.compressed("deflate");
        }
        return null;
    }

    /** client_v2.go UpgradeTLS: a failed handshake is a fatal E_IDENTIFY_FAILED, sent in plain text. */
    private void upgradeTls() throws NsqClientError {
        CompletableFuture<OutputStream> tlsOut = new CompletableFuture<>();
        CompletableFuture<Void> drained = client.writer().switchToTls(tlsOut);
        try {
            drained.get(StreamUpgrades.HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS); // the JSON went out in plain text
            SSLSocket tls = StreamUpgrades.handshake(client.socket(), options.tls(), options.tlsClientAuth());
            readFrom(tls.getInputStream());
            client.upgradedToTls(peerPrincipal(tls));
            tlsOut.complete(tls.getOutputStream());
        } catch (IOException | ExecutionException | TimeoutException e) {
            client.failing("E_IDENTIFY_FAILED IDENTIFY failed " + e.getMessage());
            tlsOut.complete(null);
            throw fatal("E_IDENTIFY_FAILED", "IDENTIFY failed " + e.getMessage());
        } catch (InterruptedException e) {
            tlsOut.complete(null);
            Thread.currentThread().interrupt();
            throw fatal("E_IDENTIFY_FAILED", "IDENTIFY failed interrupted");
        }
    }

    private static String peerPrincipal(SSLSocket tls) {
        try {
            return tls.getSession().getPeerPrincipal().getName();
        } catch (SSLPeerUnverifiedException e) {
            return null; // no client certificate
        }
    }

    private byte[] auth(Input input) throws NsqClientError {
        if (client.currentState() != ClientRecord.State.INIT) {
            throw fatal("E_INVALID", "cannot AUTH in current state");
        }
        if (input.params.length != 1) {
            throw fatal("E_INVALID", "AUTH invalid number of parameters");
        }
        int size = readLength("E_BAD_BODY", "AUTH failed to read body size");
        if (size > options.maxBodySize()) {
            throw fatal("E_BAD_BODY", "AUTH body too big " + size + " > " + options.maxBodySize());
        }
        if (size <= 0) {
            throw fatal("E_BAD_BODY", "AUTH invalid body size " + size);
        }
        input.body = readBody(size, "E_BAD_BODY", "AUTH failed to read body");
        if (client.authenticated()) {
            throw fatal("E_INVALID", "AUTH already set");
        }
        if (options.authSecret() == null) {
            throw fatal("E_AUTH_DISABLED", "AUTH disabled");
        }
        if (!options.authSecret().equals(new String(input.body, StandardCharsets.UTF_8))) {
            throw fatal("E_AUTH_FAILED", "AUTH failed"); // nsqd never says why (auth server down, wrong secret, …)
        }
        client.markAuthenticated();
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("identity", TestNsqd.AUTH_IDENTITY);
        response.put("identity_url", TestNsqd.AUTH_IDENTITY_URL);
        response.put("permission_count", 1);
        try {
            return JSON.writeValueAsBytes(response);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** protocol_v2.go CheckAuth; the one authorization granted allows every topic and channel. */
    private void checkAuth(String command) throws NsqClientError {
        if (options.authSecret() != null && !client.authenticated()) {
            throw fatal("E_AUTH_FIRST", "AUTH required before " + command);
        }
    }

    private byte[] pub(Input input) throws NsqClientError {
        if (input.params.length < 2) {
            throw fatal("E_INVALID", "PUB insufficient number of parameters");
        }
        String topic = validTopic(input.params[1], "E_BAD_TOPIC", "PUB");
        input.body = readMessageBody("PUB");
        checkAuth("PUB");
        broker.publish(topic, input.body, 0, input.record());
        return OK;
    }

    private byte[] dpub(Input input) throws NsqClientError {
        if (input.params.length < 3) {
            throw fatal("E_INVALID", "DPUB insufficient number of parameters");
        }
        String topic = validTopic(input.params[1], "E_BAD_TOPIC", "DPUB");
        long deferMs = parseBase10(input.params[2], "DPUB could not parse timeout " + input.params[2]);
        if (deferMs > options.maxReqTimeoutMs()) {
            throw fatal("E_INVALID",
                    "DPUB timeout " + deferMs + " out of range 0-" + options.maxReqTimeoutMs());
        }
        input.body = readMessageBody("DPUB");
        checkAuth("DPUB");
        broker.publish(topic, input.body, deferMs, input.record());
        return OK;
    }

    private byte[] mpub(Input input) throws NsqClientError {
        if (input.params.length < 2) {
            throw fatal("E_INVALID", "MPUB insufficient number of parameters");
        }
        // sic: nsqd 1.3 repeats the code in this one description
        String topic = validTopic(input.params[1], "E_BAD_TOPIC", "E_BAD_TOPIC MPUB");
        checkAuth("MPUB"); // unlike PUB, before the body is read
        int size = readLength("E_BAD_BODY", "MPUB failed to read body size");
        if (size <= 0) {
            throw fatal("E_BAD_BODY", "MPUB invalid body size " + size);
        }
        if (size > options.maxBodySize()) {
            throw fatal("E_BAD_BODY", "MPUB body too big " + size + " > " + options.maxBodySize());
        }
        // like nsqd, the messages are read from the stream itself, not bounded by the body size
        int count = readLength("E_BAD_BODY", "MPUB failed to read message count");
        long maxMessages = (options.maxBodySize() - 4L) / 5;
        if (count <= 0 || count > maxMessages) {
            throw fatal("E_BAD_BODY", "MPUB invalid message count " + count);
        }
        input.bodies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int messageSize = readLength("E_BAD_MESSAGE", "MPUB failed to read message(" + i + ") body size");
            if (messageSize <= 0) {
                throw fatal("E_BAD_MESSAGE", "MPUB invalid message(" + i + ") body size " + messageSize);
            }
            if (messageSize > options.maxMsgSize()) {
                throw fatal("E_BAD_MESSAGE", "MPUB message too big " + messageSize + " > " + options.maxMsgSize());
            }
            input.bodies.add(readBody(messageSize, "E_BAD_MESSAGE", "MPUB failed to read message body"));
        }
        broker.publish(topic, input.bodies, 0, input.record());
        return OK;
    }

    /** PUB's and DPUB's body checks. */
    private byte[] readMessageBody(String command) throws NsqClientError {
        int size = readLength("E_BAD_MESSAGE", command + " failed to read message body size");
        if (size <= 0) {
            throw fatal("E_BAD_MESSAGE", command + " invalid message body size " + size);
        }
        if (size > options.maxMsgSize()) {
            throw fatal("E_BAD_MESSAGE", command + " message too big " + size + " > " + options.maxMsgSize());
        }
        return readBody(size, "E_BAD_MESSAGE", command + " failed to read message body");
    }

    // ---------------------------------------------------------------- commands without a body

    private byte[] sub(Input input) throws NsqClientError {
        if (client.currentState() != ClientRecord.State.INIT) {
            throw fatal("E_INVALID", "cannot SUB in current state");
        }
        if (client.heartbeatIntervalMs() <= 0) {
            throw fatal("E_INVALID", "cannot SUB with heartbeats disabled");
        }
        if (input.params.length < 3) {
            throw fatal("E_INVALID", "SUB insufficient number of parameters");
        }
        String topic = validTopic(input.params[1], "E_BAD_TOPIC", "SUB");
        String channel = input.params[2];
        if (!NsqNames.isValid(channel)) {
            throw fatal("E_BAD_CHANNEL", "SUB channel name " + NsqNames.quote(channel) + " is not valid");
        }
        checkAuth("SUB");
        broker.subscribe(client, topic, channel);
        return OK;
    }

    private byte[] rdy(Input input) throws NsqClientError {
        ClientRecord.State state = client.currentState();
        if (state == ClientRecord.State.CLOSING) {
            return null; // nsqd ignores RDY after CLS
        }
        if (state != ClientRecord.State.SUBSCRIBED) {
            throw fatal("E_INVALID", "cannot RDY in current state");
        }
        long count = 1;
        if (input.params.length > 1) {
            count = parseBase10(input.params[1], "RDY could not parse count " + input.params[1]);
        }
        if (count > options.maxRdyCount()) {
            // fatal in nsqd "otherwise clients would have inconsistent state"
            throw fatal("E_INVALID", "RDY count " + count + " out of range 0-" + options.maxRdyCount());
        }
        broker.setReady(client, (int) count);
        return null;
    }

    private byte[] fin(Input input) throws NsqClientError {
        requireSubscribedOrClosing("FIN");
        if (input.params.length < 2) {
            throw fatal("E_INVALID", "FIN insufficient number of params");
        }
        String id = messageId(input.params[1]);
        try {
            broker.finish(client, id);
        } catch (FixtureChannel.InFlightError e) {
            throw nonFatal("E_FIN_FAILED", "FIN " + id + " failed " + e.getMessage());
        }
        return null;
    }

    private byte[] req(Input input) throws NsqClientError {
        requireSubscribedOrClosing("REQ");
        if (input.params.length < 3) {
            throw fatal("E_INVALID", "REQ insufficient number of params");
        }
        String id = messageId(input.params[1]);
        long delayMs = parseBase10(input.params[2], "REQ could not parse timeout " + input.params[2]);
        delayMs = Math.min(delayMs, options.maxReqTimeoutMs()); // nsqd clamps (and logs) rather than failing
        try {
            broker.requeue(client, id, delayMs);
        } catch (FixtureChannel.InFlightError e) {
            throw nonFatal("E_REQ_FAILED", "REQ " + id + " failed " + e.getMessage());
        }
        return null;
    }

    private byte[] touch(Input input) throws NsqClientError {
        requireSubscribedOrClosing("TOUCH");
        if (input.params.length < 2) {
            throw fatal("E_INVALID", "TOUCH insufficient number of params");
        }
        String id = messageId(input.params[1]);
        try {
            broker.touch(client, id);
        } catch (FixtureChannel.InFlightError e) {
            throw nonFatal("E_TOUCH_FAILED", "TOUCH " + id + " failed " + e.getMessage());
        }
        return null;
    }

    private byte[] cls() throws NsqClientError {
        if (client.currentState() != ClientRecord.State.SUBSCRIBED) {
            throw fatal("E_INVALID", "cannot CLS in current state");
        }
        broker.startClose(client);
        return CLOSE_WAIT;
    }

    // ---------------------------------------------------------------- parsing helpers

    private void requireSubscribedOrClosing(String command) throws NsqClientError {
        ClientRecord.State state = client.currentState();
        if (state != ClientRecord.State.SUBSCRIBED && state != ClientRecord.State.CLOSING) {
            throw fatal("E_INVALID", "cannot " + command + " in current state");
        }
    }

    private static String validTopic(String topic, String code, String command) throws NsqClientError {
        if (!NsqNames.isValid(topic)) {
            throw fatal(code, command + " topic name " + NsqNames.quote(topic) + " is not valid");
        }
        return topic;
    }

    /** nsqd's getMessageID: any 16 bytes. */
    private static String messageId(String param) throws NsqClientError {
        if (param.length() != MESSAGE_ID_LENGTH) {
            throw fatal("E_INVALID", "invalid message ID");
        }
        return param;
    }

    /** nsqd's ByteToBase10: digits only (so "-1" fails), empty is 0; huge values saturate here. */
    private static long parseBase10(String digits, String failure) throws NsqClientError {
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw fatal("E_INVALID", failure);
            }
            value = value > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : value * 10 + (c - '0');
        }
        return value;
    }

    private int readLength(String code, String failure) throws NsqClientError {
        try {
            return in.readInt();
        } catch (IOException e) {
            throw fatal(code, failure);
        }
    }

    private byte[] readBody(int size, String code, String failure) throws NsqClientError {
        byte[] body = new byte[size];
        try {
            in.readFully(body);
            return body;
        } catch (IOException e) {
            throw fatal(code, failure);
        }
    }

    /** A command being read; recorded once, as soon as it is complete (or when it failed). */
    private final class Input {
        final String[] params;
        final long receivedAtNanos;
        byte[] body;
        List<byte[]> bodies;
        private Command recorded;

        Input(String[] params, long receivedAtNanos) {
            this.params = params;
            this.receivedAtNanos = receivedAtNanos;
        }

        Command record() {
            if (recorded == null) {
                List<String> args = Arrays.stream(params, 1, params.length)
                        .map(p -> new String(p.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8))
                        .toList();
                List<byte[]> allBodies = bodies != null ? bodies : body != null ? List.of(body) : List.of();
                recorded = new Command(params[0], args, body, allBodies, receivedAtNanos, client.id());
                broker.record(client, recorded);
            }
            return recorded;
        }
    }
}
