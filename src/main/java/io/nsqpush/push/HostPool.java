package io.nsqpush.push;

/**
 * Which of several endpoints a request goes to, after go-hostpool (what nsq_to_http's hostpool mode uses): endpoints
 * are used in turn; one that failed is left out for a while (the first time {@code initialMillis}, doubling on each
 * further failure up to {@code maxMillis}) and tried again after that; a success puts it back at once. When every
 * endpoint is out, the one whose wait ends first is used: requests never stop for lack of a choice. Thread-safe.
 */
public final class HostPool {

    private final int size;
    private final long initialMillis;
    private final long maxMillis;
    private final long[] outUntilNanos;
    private final long[] waitMillis;
    private int next;

    public HostPool(int size, long initialMillis, long maxMillis) {
        this.size = size;
        this.initialMillis = initialMillis;
        this.maxMillis = Math.max(initialMillis, maxMillis);
        this.outUntilNanos = new long[size];
        this.waitMillis = new long[size];
    }

    /**
     * @param exclude an endpoint already tried for this request (-1 for none): another one is preferred
     * @return the endpoint for the next request
     */
    public synchronized int pick(long now, int exclude) {
        int fallback = -1;
        for (int k = 0; k < size; k++) {
            int i = (next + k) % size;
            if (i == exclude && size > 1) {
                continue;
            }
            if (waitMillis[i] == 0 || now - outUntilNanos[i] >= 0) {
                next = (i + 1) % size;
                return i;
            }
            if (fallback < 0 || outUntilNanos[i] - outUntilNanos[fallback] < 0) {
                fallback = i;
            }
        }
        int chosen = fallback >= 0 ? fallback : Math.max(0, exclude);
        next = (chosen + 1) % size;
        return chosen;
    }

    /** The endpoint did not take the request (it is away, or rejected it). */
    public synchronized void failed(int endpoint, long now) {
        waitMillis[endpoint] = waitMillis[endpoint] == 0 ? initialMillis
                : Math.min(maxMillis, waitMillis[endpoint] * 2);
        outUntilNanos[endpoint] = now + waitMillis[endpoint] * 1_000_000;
    }

    /** The endpoint answered: it is in again. */
    public synchronized void succeeded(int endpoint) {
        waitMillis[endpoint] = 0;
    }

    /** @return whether the endpoint is left out at this time */
    public synchronized boolean isOut(int endpoint, long now) {
        return waitMillis[endpoint] != 0 && now - outUntilNanos[endpoint] < 0;
    }
}
