package io.nsqpush.component;

/** The REQ delay for a failed attempt: base × 2^(attempts−1), capped, never negative and never above nsqd's 1 h. */
public final class RequeueBackoff {

    private final long baseMillis;
    private final long maxMillis;

    public RequeueBackoff(long baseMillis, long maxMillis) {
        this.maxMillis = clamp(maxMillis, 0, NsqConfiguration.MAX_REQUEUE_DELAY_MS);
        this.baseMillis = clamp(baseMillis, 0, this.maxMillis);
    }

    /** @param attempts nsqd's attempts counter of the failed delivery, 1 on the first */
    public long delayFor(int attempts) {
        int doublings = Math.max(0, attempts - 1);
        if (baseMillis == 0) {
            return 0;
        }
        // past 2^40 any base is over the cap: stop before the shift overflows
        if (doublings >= 40 || baseMillis > (maxMillis >> doublings)) {
            return maxMillis;
        }
        return baseMillis << doublings;
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }
}
