package io.nsqpush.testnsqd;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client's outgoing bytes, written in order by its own thread, so that nothing holding the broker lock ever blocks
 * on a slow socket. Flushes whenever the queue runs empty, through the compressor if there is one (nsqd flushes its
 * buffered writer, and the flate writer under it, after every response and whenever it has nothing more to send).
 *
 * <p>IDENTIFY's upgrades are items in the queue, so every frame queued before one goes out in the old form and every
 * frame after it in the new one; the upgrade writes nsqd's {@code OK} itself, so that OK is the first frame after it.
 */
final class FrameWriter {

    /** Ends the writer without writing anything more (the socket is already closed). */
    private static final Object STOP = new Object();

    /** Writes what is queued before it, then closes the connection. */
    private record CloseAfterPending(String reason) {
    }

    /** Flush, tell the reader (which then runs the handshake), wait for the TLS stream; null: handshake failed. */
    private record TlsSwitch(CompletableFuture<Void> drained, CompletableFuture<OutputStream> tlsOut) {
    }

    /** From here on frames go through a compressor on top of the wire. */
    private record CompressionSwitch(Compressor compressor) {
    }

    interface Compressor {
        OutputStream wrap(OutputStream wire) throws IOException;
    }

    private static final byte[] OK_FRAME = TestNsqd.frame(TestNsqd.FRAME_RESPONSE,
            "OK".getBytes(StandardCharsets.US_ASCII));
    private static final int BUFFER_SIZE = 16 * 1024;

    private final ClientRecord client;
    private final Socket socket;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private volatile boolean stopped;

    FrameWriter(ClientRecord client, Socket socket) {
        this.client = client;
        this.socket = socket;
    }

    void start() {
        DaemonThreads.start("test-nsqd-client-" + client.id() + "-writer", this::run);
    }

    void send(int frameType, byte[] data) {
        sendRaw(TestNsqd.frame(frameType, data));
    }

    void sendRaw(byte[] bytes) {
        if (!stopped) {
            queue.add(bytes);
        }
    }

    /**
     * Queues the switch to TLS and returns what the reader waits for before the handshake: everything queued so far
     * has been written and flushed in plain text. The reader completes {@code tlsOut} with the TLS socket's stream
     * (the writer then sends OK over TLS) or with null when the handshake failed (the writer stays in plain text).
     */
    CompletableFuture<Void> switchToTls(CompletableFuture<OutputStream> tlsOut) {
        CompletableFuture<Void> drained = new CompletableFuture<>();
        if (stopped) {
            drained.completeExceptionally(new IOException("connection closed"));
        } else {
            queue.add(new TlsSwitch(drained, tlsOut));
        }
        return drained;
    }

    /** Queues the switch to a compressed stream, then OK through it. */
    void switchToCompression(Compressor compressor) {
        queue.add(new CompressionSwitch(compressor));
    }

    void closeAfterPending(String reason) {
        queue.add(new CloseAfterPending(reason));
    }

    void stop() {
        stopped = true;
        queue.add(STOP);
    }

    private void run() {
        try {
            OutputStream wire = new BufferedOutputStream(socket.getOutputStream(), BUFFER_SIZE);
            OutputStream out = wire;
            while (true) {
                Object next = queue.take();
                if (next == STOP) {
                    return;
                }
                if (next instanceof CloseAfterPending close) {
                    out.flush();
                    client.close(close.reason());
                    return;
                }
                if (next instanceof TlsSwitch tls) {
                    out.flush();
                    tls.drained().complete(null);
                    OutputStream tlsOut = awaitTlsStream(tls.tlsOut());
                    if (tlsOut == null) {
                        continue; // the handshake failed: nsqd sends the error frame on the plain writer
                    }
                    wire = new BufferedOutputStream(tlsOut, BUFFER_SIZE);
                    out = wire;
                    out.write(OK_FRAME);
                } else if (next instanceof CompressionSwitch compression) {
                    out.flush();
                    out = compression.compressor().wrap(wire);
                    out.write(OK_FRAME);
                } else {
                    out.write((byte[]) next);
                }
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            client.close("write failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            client.close("test nsqd bug in the writer: " + e); // e.g. a compressor failing
            throw e;
        } finally {
            // a reader waiting to start a handshake must not wait for a writer that is gone
            queue.forEach(item -> {
                if (item instanceof TlsSwitch tls) {
                    tls.drained().completeExceptionally(new IOException("connection closed"));
                }
            });
        }
    }

    private OutputStream awaitTlsStream(CompletableFuture<OutputStream> tlsOut) throws IOException,
            InterruptedException {
        try {
            // the reader always completes it, after at most the handshake timeout
            return tlsOut.get(2L * StreamUpgrades.HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("TLS upgrade did not finish", e);
        }
    }
}
