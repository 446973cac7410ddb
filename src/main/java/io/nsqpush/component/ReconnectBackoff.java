package io.nsqpush.component;

import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * When a link to nsqd tries again: after a failed connect, and after a connection that was lost before it had been up
 * for {@code stableMillis} (an nsqd that accepts, then sends a malformed frame or a fatal error at once, is as broken
 * as one that refuses), the delay doubles from reconnectDelay up to maxReconnectDelay; a connection that stayed up
 * that long ends the outage, so its loss starts again from reconnectDelay. Each delay is jittered down to half of
 * itself, so that many consumers do not reconnect to a restarted nsqd in the same instant. Times are the caller's
 * {@code System.nanoTime()}. Not thread-safe: the link calls it under its lock.
 */
final class ReconnectBackoff {

    private final long baseMillis;
    private final long maxMillis;
    private final long stableNanos;
    private final DoubleSupplier random;
    /** Failures of the outage under way: failed connects and short-lived connections; 0 while none is. */
    private int failures;
    private long connectedAtNanos;
    private boolean connected;

    ReconnectBackoff(long baseMillis, long maxMillis, long stableMillis, DoubleSupplier random) {
        this.baseMillis = baseMillis;
        this.maxMillis = maxMillis;
        this.stableNanos = TimeUnit.MILLISECONDS.toNanos(stableMillis);
        this.random = random;
    }

    /** @return whether this failed connect starts an outage (log it) */
    boolean connectFailed() {
        connected = false;
        return failures++ == 0;
    }

    /** @return whether the link was in an outage (a reconnect, not the first connect) */
    boolean connected(long now) {
        connected = true;
        connectedAtNanos = now;
        return failures > 0;
    }

    /**
     * The live connection was lost.
     *
     * @return whether this loss starts an outage: the connection had been up for stableMillis (log it); a shorter
     *         one continues the outage it was part of, and the delay keeps growing
     */
    boolean lost(long now) {
        boolean stable = connected && now - connectedAtNanos >= stableNanos;
        connected = false;
        if (stable || failures == 0) {
            failures = 1;
            return true;
        }
        failures++;
        return false;
    }

    /** @return failures of the outage under way */
    int failures() {
        return failures;
    }

    /** @return how long to wait before the next attempt, in milliseconds */
    long nextDelayMillis() {
        int doublings = Math.min(Math.max(0, failures - 1), 30);
        long delay = Math.min(maxMillis, baseMillis << doublings);
        return delay / 2 + (long) (random.getAsDouble() * (delay / 2 + 1));
    }
}
