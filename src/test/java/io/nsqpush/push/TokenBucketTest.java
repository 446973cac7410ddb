package io.nsqpush.push;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TokenBucketTest {

    private static final long MS = 1_000_000L;

    @Test
    void unlimitedBothWays() {
        TokenBucket bucket = new TokenBucket(0);
        for (int i = 0; i < 1_000; i++) {
            assertEquals(0, bucket.waitNanos(0));
            bucket.take(0);
        }
        assertEquals(1_000, bucket.busy());
    }

    @Test
    void aRatePacesRequestsOneTokenApart() {
        TokenBucket bucket = new TokenBucket(0);
        bucket.rate(100, 1, 0);
        assertEquals(0, bucket.waitNanos(0));
        bucket.take(0);
        assertEquals(10 * MS, bucket.waitNanos(0));
        assertEquals(4 * MS, bucket.waitNanos(6 * MS));
        assertEquals(0, bucket.waitNanos(10 * MS));
        bucket.take(10 * MS);
        // a lull fills the bucket up to its burst only
        assertEquals(0, bucket.waitNanos(1_000 * MS));
        bucket.take(1_000 * MS);
        assertEquals(10 * MS, bucket.waitNanos(1_000 * MS));
    }

    @Test
    void theBurstLetsThatManyGoBackToBack() {
        TokenBucket bucket = new TokenBucket(0);
        bucket.rate(1_000, 10, 0);
        int went = 0;
        while (bucket.waitNanos(1_000 * MS) == 0) {
            bucket.take(1_000 * MS);
            went++;
        }
        assertEquals(10, went);
    }

    @Test
    void aLimitWaitsForARelease() {
        TokenBucket bucket = new TokenBucket(0);
        bucket.limit(3);
        for (int i = 0; i < 3; i++) {
            bucket.take(0);
        }
        assertEquals(TokenBucket.UNTIL_RELEASE, bucket.waitNanos(0));
        bucket.release();
        assertEquals(0, bucket.waitNanos(0));
    }

    /** A timer that fires 1 ms late every time: 100 r/s with room for the lateness keeps 100 r/s; a burst of 1 does not. */
    @Test
    void roomForALateTimerKeepsTheRate() {
        assertEquals(10_000 * MS, elapsedFor(1_000, 100, 1 + 100 * Pacing.LATE_TIMER_SECONDS, MS), 15 * MS);
        assertEquals(11_000 * MS, elapsedFor(1_000, 100, 1, MS), 15 * MS);
    }

    /** @return when the last of {@code requests} went, each sent as soon as its timer fired {@code lateNanos} late */
    private static double elapsedFor(int requests, double rate, double burst, long lateNanos) {
        TokenBucket bucket = new TokenBucket(0);
        bucket.rate(rate, burst, 0);
        long now = 0;
        long minGap = Long.MAX_VALUE;
        long last = -1;
        for (int i = 0; i < requests; i++) {
            long wait = bucket.waitNanos(now);
            if (wait > 0) {
                now += wait + lateNanos;
            }
            assertEquals(0, bucket.waitNanos(now));
            bucket.take(now);
            bucket.release();
            if (last >= 0) {
                minGap = Math.min(minGap, now - last);
            }
            last = now;
        }
        // never two back to back: each request at least half an interval after the one before
        org.junit.jupiter.api.Assertions.assertTrue(minGap >= (long) (0.5e9 / rate), "gap " + minGap);
        return now;
    }
}
