package io.nsqpush.testnsqd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;

/**
 * One channel's copy of a message (nsqd gives every channel its own copy with the same id). Mutable, guarded by the
 * broker lock.
 */
final class FixtureMessage {

    final String id;
    final byte[] body;
    /** Creation time, ns since the epoch, as nsqd puts it in the frame. */
    final long timestampNanos;
    /** Only while waiting in a topic without channels: the DPUB defer to apply once a channel takes it. */
    final long deferMs;
    int attempts;

    // while in flight
    ClientRecord owner;
    long deliveredAtNanos;
    long timeoutAtNanos;
    ScheduledFuture<?> timeoutTask;

    // while deferred
    ScheduledFuture<?> deferTask;

    FixtureMessage(String id, byte[] body, long timestampNanos, long deferMs) {
        this.id = id;
        this.body = body;
        this.timestampNanos = timestampNanos;
        this.deferMs = deferMs;
    }

    /** A fresh copy for one channel: attempts start again at 0 as in nsqd. */
    FixtureMessage copyForChannel() {
        return new FixtureMessage(id, body, timestampNanos, 0);
    }

    /** The message frame's data: [8-byte timestamp][2-byte attempts][16-byte ASCII id][body]. */
    byte[] frameData() {
        return ByteBuffer.allocate(8 + 2 + 16 + body.length)
                .putLong(timestampNanos)
                .putShort((short) attempts)
                .put(id.getBytes(StandardCharsets.US_ASCII))
                .put(body)
                .array();
    }

    void cancelTimers() {
        if (timeoutTask != null) {
            timeoutTask.cancel(false);
            timeoutTask = null;
        }
        if (deferTask != null) {
            deferTask.cancel(false);
            deferTask = null;
        }
    }
}
