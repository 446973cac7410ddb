package io.nsqpush.testnsqd;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A client's outgoing bytes, written in order by its own thread, so that nothing holding the broker lock ever blocks
 * on a slow socket. Flushes whenever the queue runs empty.
 */
final class FrameWriter {

    /** Ends the writer without writing anything more (the socket is already closed). */
    private static final Object STOP = new Object();

    /** Writes what is queued before it, then closes the connection. */
    private record CloseAfterPending(String reason) {
    }

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

    void closeAfterPending(String reason) {
        queue.add(new CloseAfterPending(reason));
    }

    void stop() {
        stopped = true;
        queue.add(STOP);
    }

    private void run() {
        try (OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024)) {
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
                out.write((byte[]) next);
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            client.close("write failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
