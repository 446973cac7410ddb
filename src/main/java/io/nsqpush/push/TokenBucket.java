package io.nsqpush.push;

/**
 * When the next request may go: a token bucket (a rate in requests per second, a few tokens of burst) and a count of
 * requests under way against a limit. Either can be unlimited. Pure: the caller passes the time (System.nanoTime) and
 * holds the lock.
 */
final class TokenBucket {

    /** {@link #waitNanos} when a request can go only once another one ends. */
    static final long UNTIL_RELEASE = -1;

    private double rate = Double.POSITIVE_INFINITY;
    private double capacity = 1;
    private double tokens = 1;
    private long filledAtNanos;
    private int limit = Integer.MAX_VALUE;
    private int busy;

    TokenBucket(long now) {
        filledAtNanos = now;
    }

    /**
     * @param perSecond requests per second, {@code Double.POSITIVE_INFINITY} for no limit
     * @param burst     tokens the bucket holds at most (at least 1): requests that may go back to back after a lull
     */
    void rate(double perSecond, double burst, long now) {
        refill(now);
        rate = perSecond;
        capacity = Math.max(1, burst);
        tokens = Math.min(tokens, capacity);
    }

    double rate() {
        return rate;
    }

    void limit(int requests) {
        limit = Math.max(1, requests);
    }

    int limit() {
        return limit;
    }

    int busy() {
        return busy;
    }

    /** @return 0 when a request may start now, {@link #UNTIL_RELEASE}, or the nanoseconds until the next token */
    long waitNanos(long now) {
        if (busy >= limit) {
            return UNTIL_RELEASE;
        }
        if (rate == Double.POSITIVE_INFINITY) {
            return 0;
        }
        refill(now);
        if (tokens >= 1) {
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / rate * 1e9));
    }

    /** A request starts (after {@link #waitNanos} said 0). */
    void take(long now) {
        busy++;
        if (rate != Double.POSITIVE_INFINITY) {
            refill(now);
            tokens = Math.max(0, tokens - 1);
        }
    }

    /** A request ended. */
    void release() {
        busy = Math.max(0, busy - 1);
    }

    private void refill(long now) {
        long elapsed = now - filledAtNanos;
        filledAtNanos = now;
        if (elapsed > 0 && rate != Double.POSITIVE_INFINITY) {
            tokens = Math.min(capacity, tokens + rate * elapsed / 1e9);
        } else if (rate == Double.POSITIVE_INFINITY) {
            tokens = capacity;
        }
    }
}
