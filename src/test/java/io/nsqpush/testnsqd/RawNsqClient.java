package io.nsqpush.testnsqd;

import io.netty.handler.codec.compression.SnappyFrameDecoder;
import io.netty.handler.codec.compression.SnappyFrameEncoder;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A deliberately tiny NSQ client speaking raw bytes, to test the test nsqd without the product code. Every read waits
 * at most a given time (socket timeout), so tests never sleep. It can follow IDENTIFY's upgrades: TLS with the JDK's
 * SSLSocket, snappy and deflate with Netty's codecs (see {@link NettyCodecStreams}).
 */
final class RawNsqClient implements AutoCloseable {

    static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);

    /** The TCP socket: timeouts and closing go to it, also under TLS. */
    private final Socket socket;
    private OutputStream transportOut;
    private DataInputStream in;
    private OutputStream out;

    private RawNsqClient(Socket socket) throws IOException {
        this.socket = socket;
        this.transportOut = socket.getOutputStream();
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = transportOut;
    }

    /** Connects and sends the magic. */
    static RawNsqClient connect(TestNsqd nsqd) {
        try {
            RawNsqClient client = new RawNsqClient(new Socket("127.0.0.1", nsqd.port()));
            client.write("  V2".getBytes(StandardCharsets.US_ASCII));
            return client;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects, IDENTIFYs with this JSON and checks the answer is a response frame. */
    static RawNsqClient identified(TestNsqd nsqd, String identifyJson) {
        RawNsqClient client = connect(nsqd);
        client.identify(identifyJson);
        Frame answer = client.readFrame();
        if (answer.type() != TestNsqd.FRAME_RESPONSE) {
            throw new AssertionError("IDENTIFY failed: " + answer);
        }
        return client;
    }

    /** Connects, IDENTIFYs, SUBs and sends RDY. */
    static RawNsqClient subscribed(TestNsqd nsqd, String identifyJson, String topic, String channel, int rdy) {
        RawNsqClient client = identified(nsqd, identifyJson);
        client.command("SUB " + topic + " " + channel);
        client.expectResponse("OK");
        client.command("RDY " + rdy);
        return client;
    }

    /**
     * The client side of tls_v1 after IDENTIFY's answer: handshake over the same socket, then reads nsqd's OK over TLS.
     * With {@code verifyHostname} the certificate must match 127.0.0.1 (as HTTPS checks it).
     */
    void upgradeTls(SSLContext context, boolean verifyHostname) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, "127.0.0.1", socket.getPort(), true);
        tls.setUseClientMode(true);
        if (verifyHostname) {
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(parameters);
        }
        socket.setSoTimeout((int) DEFAULT_WAIT.toMillis());
        tls.startHandshake();
        transportOut = tls.getOutputStream();
        in = new DataInputStream(new BufferedInputStream(tls.getInputStream()));
        out = transportOut;
        expectResponse("OK");
    }

    /**
     * The client side of snappy: Netty's framed snappy both ways, then nsqd's OK, compressed. nsqd sends the JSON and
     * the compressed OK back to back, so the decoder reads on from the buffered stream: the OK may already be in it.
     */
    void upgradeSnappy() {
        in = new DataInputStream(NettyCodecStreams.decoding(in, new SnappyFrameDecoder()));
        out = NettyCodecStreams.encoding(transportOut, new SnappyFrameEncoder());
        expectResponse("OK");
    }

    /** The client side of deflate: Netty's raw-deflate codecs, then nsqd's OK, compressed. */
    void upgradeDeflate(int level) {
        in = new DataInputStream(NettyCodecStreams.decoding(in, ZlibCodecFactory.newZlibDecoder(ZlibWrapper.NONE)));
        out = NettyCodecStreams.encoding(transportOut, ZlibCodecFactory.newZlibEncoder(ZlibWrapper.NONE, level));
        expectResponse("OK");
    }

    void auth(String secret) {
        commandWithBody("AUTH", secret.getBytes(StandardCharsets.UTF_8));
    }

    void command(String line) {
        write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    void commandWithBody(String line, byte[] body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes(ByteBuffer.allocate(4).putInt(body.length).array());
        bytes.writeBytes(body);
        write(bytes.toByteArray());
    }

    void identify(String json) {
        commandWithBody("IDENTIFY", json.getBytes(StandardCharsets.UTF_8));
    }

    void pub(String topic, String body) {
        commandWithBody("PUB " + topic, body.getBytes(StandardCharsets.UTF_8));
    }

    void mpub(String topic, String... bodies) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        try (DataOutputStream data = new DataOutputStream(payload)) {
            data.writeInt(bodies.length);
            for (String body : bodies) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                data.writeInt(bytes.length);
                data.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commandWithBody("MPUB " + topic, payload.toByteArray());
    }

    void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Frame readFrame() {
        return readFrame(DEFAULT_WAIT);
    }

    /** The next frame, waiting at most this long (AssertionError otherwise). */
    Frame readFrame(Duration wait) {
        try {
            socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
            int size = in.readInt();
            int type = in.readInt();
            byte[] data = new byte[size - 4];
            in.readFully(data);
            return new Frame(type, data);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within " + wait.toMillis() + " ms");
        } catch (EOFException e) {
            throw new AssertionError("connection closed by nsqd");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next frame that is not a heartbeat. */
    Frame readFrameSkippingHeartbeats(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Frame frame = readFrame(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            if (!frame.isHeartbeat()) {
                return frame;
            }
        }
    }

    Message readMessage() {
        return readMessage(DEFAULT_WAIT);
    }

    Message readMessage(Duration wait) {
        Frame frame = readFrameSkippingHeartbeats(wait);
        if (frame.type() != TestNsqd.FRAME_MESSAGE) {
            throw new AssertionError("expected a message, got " + frame);
        }
        return Message.parse(frame.data());
    }

    void expectResponse(String text) {
        Frame frame = readFrameSkippingHeartbeats(DEFAULT_WAIT);
        if (frame.type() != TestNsqd.FRAME_RESPONSE || !frame.text().equals(text)) {
            throw new AssertionError("expected response " + text + ", got " + frame);
        }
    }

    /** Fails if any frame other than a heartbeat arrives within this time. */
    void expectNoFrame(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (true) {
                long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMs <= 0) {
                    return;
                }
                socket.setSoTimeout((int) remainingMs);
                int size = in.readInt();
                int type = in.readInt();
                byte[] data = new byte[size - 4];
                in.readFully(data);
                Frame frame = new Frame(type, data);
                if (!frame.isHeartbeat()) {
                    throw new AssertionError("unexpected frame " + frame);
                }
            }
        } catch (SocketTimeoutException e) {
            // nothing came: as expected
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads until nsqd closes the connection; returns the frames received before that. */
    List<Frame> awaitClosedByServer(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        List<Frame> frames = new ArrayList<>();
        try {
            while (true) {
                long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMs <= 0) {
                    throw new AssertionError("nsqd did not close the connection; frames: " + frames);
                }
                socket.setSoTimeout((int) remainingMs);
                int size = in.readInt();
                int type = in.readInt();
                byte[] data = new byte[size - 4];
                in.readFully(data);
                frames.add(new Frame(type, data));
            }
        } catch (EOFException | SocketException | SSLException closed) {
            return frames; // EOF, a reset when nsqd closed with unread bytes, or TLS without close_notify
        } catch (SocketTimeoutException e) {
            throw new AssertionError("nsqd did not close the connection; frames: " + frames);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // test cleanup
        }
    }

    record Frame(int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }

        boolean isHeartbeat() {
            return type == TestNsqd.FRAME_RESPONSE && text().equals("_heartbeat_");
        }

        @Override
        public String toString() {
            String kind = switch (type) {
                case TestNsqd.FRAME_RESPONSE -> "response";
                case TestNsqd.FRAME_ERROR -> "error";
                case TestNsqd.FRAME_MESSAGE -> "message";
                default -> "type " + type;
            };
            return kind + " '" + (type == TestNsqd.FRAME_MESSAGE ? Message.parse(data) : text()) + "'";
        }
    }

    record Message(long timestampNanos, int attempts, String id, byte[] body) {
        static Message parse(byte[] data) {
            ByteBuffer buffer = ByteBuffer.wrap(data);
            long timestamp = buffer.getLong();
            int attempts = Short.toUnsignedInt(buffer.getShort());
            byte[] id = new byte[16];
            buffer.get(id);
            byte[] body = Arrays.copyOfRange(data, 26, data.length);
            return new Message(timestamp, attempts, new String(id, StandardCharsets.US_ASCII), body);
        }

        String bodyUtf8() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return id + " attempts=" + attempts + " body=" + bodyUtf8();
        }
    }
}
