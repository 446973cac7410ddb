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
}
