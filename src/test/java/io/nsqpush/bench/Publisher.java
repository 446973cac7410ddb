package io.nsqpush.bench;

import io.netty.channel.nio.NioEventLoopGroup;
import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqConnection;
import io.nsqpush.nsq.NsqConnectionListener;
import io.nsqpush.nsq.NsqConnector;
import io.nsqpush.nsq.NsqMessage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes to any nsqd (the test one or a real one) with the project's own NSQ client over one TCP connection, and
 * creates channels over short-lived ones.
 */
final class Publisher implements AutoCloseable {

    private static final int BATCH = 200;
    private static final int WINDOW = 16; // MPUBs awaiting nsqd's OK at once: bounded memory, still pipelined

    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final NsqConnector connector = new NsqConnector(group);
    private final NsqAddress address;
    private final NsqConnection connection;

    Publisher(String address) throws Exception {
        this.address = NsqAddress.parse(address);
        connection = connect();
    }

    private NsqConnection connect() throws Exception {
        NsqClientOptions options = new NsqClientOptions("bench-publisher", "bench", "nsq-push-bench", 30_000, 60_000,
                2_000, NsqClientOptions.DEFAULT_MAX_FRAME_SIZE, false);
        return connector.connect(address, options, new NsqConnectionListener() {
            @Override
            public void onMessage(NsqConnection c, NsqMessage message) {
                // RDY stays 0: nothing is delivered
            }

            @Override
            public void onClose(NsqConnection c, Throwable cause) {
            }
        }).get(10, TimeUnit.SECONDS);
    }

    /**
     * Creates the topic's channel before anything is published, so that a backlog waits in the channel the bridge
     * will consume: a SUB on a connection of its own that never sends RDY, then closed (the channel stays).
     */
    void createChannel(String topic, String channel) throws Exception {
        NsqConnection subscriber = connect();
        try {
            subscriber.subscribe(topic, channel).get(10, TimeUnit.SECONDS);
        } finally {
            subscriber.close().get(5, TimeUnit.SECONDS);
        }
    }

    /** {@code count} bodies of {@code size} bytes, MPUB in batches; returns once nsqd accepted them all. */
    void publishBulk(String topic, int count, int size) throws Exception {
        List<CompletableFuture<Void>> window = new ArrayList<>();
        for (int sent = 0; sent < count; sent += BATCH) {
            List<byte[]> batch = new ArrayList<>(BATCH);
            for (int i = sent; i < Math.min(count, sent + BATCH); i++) {
                batch.add(body(i, size));
            }
            window.add(connection.multiPublish(topic, batch));
            if (window.size() == WINDOW) {
                window.remove(0).get(30, TimeUnit.SECONDS);
            }
        }
        for (CompletableFuture<Void> f : window) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code rate} messages a second for {@code seconds}, each body the epoch millis when it was published (the
     * endpoint's latency reference). Paced per millisecond: whatever is due is sent as one PUB or MPUB.
     *
     * @return how many were published
     */
    int publishPaced(String topic, int rate, int seconds) throws Exception {
        long total = (long) rate * seconds;
        long start = System.nanoTime();
        long sent = 0;
        CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
        while (sent < total) {
            long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
            if (due > sent) {
                byte[] now = String.valueOf(System.currentTimeMillis()).getBytes(StandardCharsets.US_ASCII);
                List<byte[]> batch = new ArrayList<>();
                for (long i = sent; i < due; i++) {
                    batch.add(now);
                }
                last = batch.size() == 1 ? connection.publish(topic, now) : connection.multiPublish(topic, batch);
                sent = due;
            }
            LockSupport.parkNanos(200_000);
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(seconds + 30L)) {
                break; // nsqd cannot keep up: stop rather than run on (the result says how many were sent)
            }
        }
        last.get(30, TimeUnit.SECONDS); // answers come in order: the last OK means all were accepted
        return (int) sent;
    }

    /** A printable body of exactly {@code size} bytes that is not a number (no latency is recorded for it). */
    private static byte[] body(int index, int size) {
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) '.');
        byte[] label = ("message-" + index).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(label, 0, body, 0, Math.min(size, label.length));
        return body;
    }

    @Override
    public void close() {
        try {
            connection.close().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
