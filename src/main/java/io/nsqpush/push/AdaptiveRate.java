package io.nsqpush.push;

/**
 * The request rate and concurrency one URL is sent at, learnt from its answers (after TCP's congestion control, with
 * Pub/Sub push's slow start): an endpoint that refuses for load (429, or 503 while it accepts others) gets fewer
 * requests, one that takes them gets more again, slowly.
 * <ul>
 *   <li><b>Free</b> until the first refusal: no rate limit; the concurrency window starts at {@link #INITIAL_WINDOW}
 *   and grows by one per accepted request (doubling per round trip), so that a fresh endpoint does not get
 *   maxInFlight requests at the same instant.</li>
 *   <li><b>Limited</b> from a refusal of a request sent after the last decrease (the ones sent before it were sent at
 *   the old rate and say nothing new): the rate becomes {@link #DECREASE} times the rate the endpoint accepted over the
 *   last second (measured, never above the rate in force), and the window {@link #DECREASE} times the requests under
 *   way. Each accepted request then raises the rate: by 2 r/s below {@link #SLOW_START_BELOW} of the rate the
 *   endpoint took at the last refusal, or while that is unknown (slow start: doubling every half second), else by
 *   {@link #PROBE_PER_SECOND} of the rate per second (probing just above what it took). The rate it took is known once
 *   measured over a whole second.</li>
 *   <li>Free again after {@link #FORGET_NANOS} without a refusal.</li>
 * </ul>
 * A 503 when nothing was accepted for a second is an outage, not load: the caller pauses the subscription as for any
 * unavailable endpoint, and the rate starts over from {@link #MIN_RATE} when it answers again.
 * Pure: the caller passes the time (System.nanoTime) and holds the lock.
 */
final class AdaptiveRate {

    static final int INITIAL_WINDOW = 20;
    static final int MAX_WINDOW = 65_535;
    /** The lowest rate: above a probe every 200 ms, so that the pause schedule, not the rate, paces an outage. */
    static final double MIN_RATE = 5;
    static final double DECREASE = 0.9;
    static final double PROBE_PER_SECOND = 0.03;
    /** Below this share of the rate of the last refusal the rate doubles every half second. */
    static final double SLOW_START_BELOW = 0.85;
    static final long FORGET_NANOS = 60_000_000_000L;
    /** The accepted rate is measured over this many buckets of {@link #BUCKET_NANOS}: the last second. */
    static final int BUCKETS = 10;
    static final long BUCKET_NANOS = 100_000_000L;

    /** What a refusal says. */
    enum Verdict {
        /** The endpoint sheds load: the request waits its turn again at the lower rate. */
        RATE_LIMITED,
        /** Nothing was accepted for a second: the endpoint is away. */
        OUTAGE
    }

    /** When the first request was accepted: the accepted rate is measured from then on. */
    private long startNanos;
    private boolean started;
    private boolean limited;
    private double rate = Double.POSITIVE_INFINITY;
    /** The accepted rate at the last refusal: below most of it the rate grows fast. Infinite while unknown. */
    private double threshold = Double.POSITIVE_INFINITY;
    private double window = INITIAL_WINDOW;
    private double windowThreshold = MAX_WINDOW;
    private long decreasedAtNanos;
    private long refusedAtNanos;
    private final int[] accepted = new int[BUCKETS];
    private long bucketIndex;

    AdaptiveRate(long now) {
        decreasedAtNanos = now - 1;
        bucketIndex = Math.floorDiv(now, BUCKET_NANOS);
    }

    /** @return requests per second, {@code Double.POSITIVE_INFINITY} while free */
    double rate() {
        return rate;
    }

    /** @return requests at once */
    int window() {
        return (int) Math.min(MAX_WINDOW, Math.max(1, window));
    }

    boolean isLimited() {
        return limited;
    }

    /** The endpoint answered, and not with a refusal for load (2xx, and any other status but those). */
    void accepted(long now) {
        if (!started) {
            started = true;
            startNanos = now;
        }
        count(now);
        if (limited && now - refusedAtNanos >= FORGET_NANOS) {
            limited = false;
            rate = Double.POSITIVE_INFINITY;
        }
        window += window < windowThreshold ? 1 : 1 / window;
        window = Math.min(window, MAX_WINDOW);
        if (limited) {
            // probing accelerates with every second without a refusal: gentle near the last limit, quick to find
            // a higher one
            int seconds = (int) Math.min(10, (now - decreasedAtNanos) / 1_000_000_000L);
            rate += rate < SLOW_START_BELOW * threshold ? 2
                    : Math.max(1, PROBE_PER_SECOND * rate * (1 << seconds)) / rate;
        }
    }

    /** A request ended with no answer (timeout, connection failure): nothing learnt about load, the window grows. */
    void unanswered() {
        window = Math.min(MAX_WINDOW, window + (window < windowThreshold ? 1 : 1 / window));
    }

    /**
     * The endpoint refused a request for load: 429 or 503 without Retry-After.
     *
     * @param sentNanos when the refused request was sent
     * @param outageLike a 503: with nothing accepted for a second it means the endpoint is away
     * @param busy       requests under way to this URL, the refused one included
     */
    Verdict refused(long sentNanos, boolean outageLike, int busy, long now) {
        double acceptedRate = acceptedRate(now);
        refusedAtNanos = now;
        if (outageLike && acceptedRate == 0) {
            limited = true;
            rate = MIN_RATE;
            window = 1;
            decreasedAtNanos = now;
            return Verdict.OUTAGE;
        }
        if (sentNanos - decreasedAtNanos > 0) {
            // first news of the rate in force: lower it to what the endpoint took, a little below
            double base = Math.min(rate, acceptedRate);
            if (acceptedRate > 0 && started && now - startNanos >= BUCKETS * BUCKET_NANOS
                    && (rate == Double.POSITIVE_INFINITY || acceptedRate >= rate / 2)) {
                // measured over a whole second while sending at about the rate in force: what it takes is known
                // (a first guess, or a lull, says nothing about that and keeps slow start going)
                threshold = acceptedRate;
            }
            rate = Math.max(MIN_RATE, DECREASE * base);
            window = Math.max(1, Math.min(window, DECREASE * busy));
            windowThreshold = window;
            limited = true;
            decreasedAtNanos = now;
        }
        return Verdict.RATE_LIMITED;
    }

    /** @return requests accepted per second over the last second (over the time since the start, when shorter) */
    double acceptedRate(long now) {
        roll(now);
        int sum = 0;
        for (int n : accepted) {
            sum += n;
        }
        // the buckets cover nine whole ones and the current one so far
        long covered = (BUCKETS - 1) * BUCKET_NANOS + Math.floorMod(now, BUCKET_NANOS);
        if (!started) {
            return 0;
        }
        long span = Math.max(BUCKET_NANOS, Math.min(covered, now - startNanos));
        return sum * 1e9 / span;
    }

    private void count(long now) {
        roll(now);
        accepted[(int) Math.floorMod(bucketIndex, BUCKETS)]++;
    }

    /** Empties the buckets that ended since the last count. */
    private void roll(long now) {
        long index = Math.floorDiv(now, BUCKET_NANOS);
        long steps = Math.min(BUCKETS, index - bucketIndex);
        for (long i = 1; i <= steps; i++) {
            accepted[(int) Math.floorMod(bucketIndex + i, BUCKETS)] = 0;
        }
        if (index > bucketIndex) {
            bucketIndex = index;
        }
    }
}
