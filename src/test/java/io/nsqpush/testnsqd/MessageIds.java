package io.nsqpush.testnsqd;

import java.util.function.LongSupplier;

/**
 * nsqd's message ids (nsqd/guid.go), one factory per topic as each nsqd topic has its own: 64 bits of
 * {@code (time - twepoch) << 22 | nodeId << 12 | sequence}, written as 16 lowercase hex digits, the time being
 * {@code UnixNano >> 20} (nsqd's "pseudo-milliseconds" of 1.048576 ms). The sequence restarts at 0 on every new time
 * value, so two topics, or two nsqds with one node id, that publish in the same tick hand out the same ids, as real
 * nsqd does. When 4096 ids were taken in one tick nsqd sleeps 1 ms and tries again; this waits for the clock to move
 * on, and fails after a second of a clock that does not (a frozen test clock).
 */
final class MessageIds {

    private static final int NODE_ID_BITS = 10;
    private static final int SEQUENCE_BITS = 12;
    private static final long SEQUENCE_MASK = (1L << SEQUENCE_BITS) - 1;
    /** nsqd's twepoch, Tue, 21 Mar 2006 20:50:14.000 GMT, subtracted from pseudo-milliseconds as nsqd does. */
    private static final long TWEPOCH = 1288834974657L;

    private final long nodeId;
    private final LongSupplier epochNanos;
    private long sequence;
    private long lastTimestamp;

    /** @param epochNanos the clock, nanoseconds since the epoch */
    MessageIds(int nodeId, LongSupplier epochNanos) {
        if (nodeId < 0 || nodeId >= 1 << NODE_ID_BITS) {
            throw new IllegalArgumentException("--node-id must be [0,1024)");
        }
        this.nodeId = nodeId;
        this.epochNanos = epochNanos;
    }

    /** Called under the broker's lock. */
    String next() {
        long giveUp = System.nanoTime() + 1_000_000_000L;
        while (true) {
            long timestamp = epochNanos.getAsLong() >> 20;
            if (timestamp < lastTimestamp) {
                throw new IllegalStateException("time has gone backwards"); // nsqd retries; a test clock is wrong
            }
            if (timestamp == lastTimestamp) {
                long next = (sequence + 1) & SEQUENCE_MASK;
                if (next == 0) { // sequence expired: nsqd sleeps 1 ms and tries again
                    if (System.nanoTime() > giveUp) {
                        throw new IllegalStateException("sequence expired and the id clock does not move on");
                    }
                    Thread.onSpinWait();
                    continue;
                }
                sequence = next;
            } else {
                sequence = 0;
            }
            lastTimestamp = timestamp;
            long id = ((timestamp - TWEPOCH) << (NODE_ID_BITS + SEQUENCE_BITS)) | (nodeId << SEQUENCE_BITS) | sequence;
            return String.format("%016x", id);
        }
    }

    /** nsqd's default --node-id: crc32 of the hostname, modulo 1024; so every nsqd of one host has the same. */
    static int defaultNodeId() {
        String hostname;
        try {
            hostname = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            hostname = "localhost";
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(hostname.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return (int) (crc.getValue() % 1024);
    }
}
