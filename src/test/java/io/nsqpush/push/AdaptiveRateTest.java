package io.nsqpush.push;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The learnt rate on a clock the test moves. */
class AdaptiveRateTest {

    private static final long MS = 1_000_000L;
    private long now = 1_000 * MS;

    /** Accepts {@code count} requests spread evenly over {@code millis}. */
    private void accept(AdaptiveRate rate, int count, long millis) {
        for (int i = 0; i < count; i++) {
            now += millis * MS / count;
            rate.accepted(now);
        }
    }

    @Test
    void freeUntilTheFirstRefusalWithAWindowThatDoublesPerRoundTrip() {
        AdaptiveRate rate = new AdaptiveRate(now);
        assertFalse(rate.isLimited());
        assertEquals(Double.POSITIVE_INFINITY, rate.rate());
        assertEquals(AdaptiveRate.INITIAL_WINDOW, rate.window());
        accept(rate, AdaptiveRate.INITIAL_WINDOW, 10);
        assertEquals(2 * AdaptiveRate.INITIAL_WINDOW, rate.window(), "one more per accepted request");
        accept(rate, 100_000, 10_000);
        assertEquals(AdaptiveRate.MAX_WINDOW, rate.window());
        assertFalse(rate.isLimited());
    }

    @Test
    void aRefusalLowersTheRateBelowWhatTheEndpointAccepted() {
        AdaptiveRate rate = new AdaptiveRate(now);
        accept(rate, 200, 2_000); // 100 r/s
        assertEquals(100, rate.acceptedRate(now), 2);
        assertEquals(AdaptiveRate.Verdict.RATE_LIMITED, rate.refused(now - MS, false, 30, now));
        assertTrue(rate.isLimited());
        assertEquals(90, rate.rate(), 2);
        assertEquals(27, rate.window(), "0.9 of the requests under way");
    }

    @Test
    void refusalsOfRequestsSentBeforeTheDecreaseDoNotLowerItAgain() {
        AdaptiveRate rate = new AdaptiveRate(now);
        accept(rate, 200, 2_000);
        long before = now - MS;
        rate.refused(before, false, 30, now);
        double lowered = rate.rate();
        for (int i = 0; i < 50; i++) {
            rate.refused(before, false, 30, now + i);
        }
        assertEquals(lowered, rate.rate());
        // one sent after the decrease lowers it again
        now += 10 * MS;
        rate.refused(now - 1, false, 30, now);
        assertTrue(rate.rate() < lowered);
    }

    @Test
    void acceptedRequestsRaiseTheRateSlowlyNearTheLastRefusal() {
        AdaptiveRate rate = new AdaptiveRate(now);
        accept(rate, 200, 2_000);
        rate.refused(now - MS, false, 30, now);
        double lowered = rate.rate();
        accept(rate, 90, 1_000); // one second at the lowered rate
        double raised = rate.rate() - lowered;
        assertTrue(raised > 0.02 * lowered && raised < 0.05 * lowered, "about 3 % per second: " + raised);
    }

    @Test
    void slowStartFarBelowTheLastRate() {
        AdaptiveRate rate = new AdaptiveRate(now);
        accept(rate, 200, 2_000);
        rate.refused(now - MS, false, 30, now);
        // a later refusal measures almost nothing accepted: far below the rate it knew
        now += 5_000 * MS;
        rate.accepted(now);
        rate.refused(now - 1, false, 1, now);
        double low = rate.rate();
        assertTrue(low < 10, "lowered to what it took: " + low);
        accept(rate, (int) Math.ceil(low / 2), 500);
        assertTrue(rate.rate() >= 2 * low - 1, "doubles per half second: " + low + " -> " + rate.rate());
    }

    @Test
    void a503WithNothingAcceptedIsAnOutage() {
        AdaptiveRate rate = new AdaptiveRate(now);
        assertEquals(AdaptiveRate.Verdict.OUTAGE, rate.refused(now - 1, true, 1, now));
        assertEquals(AdaptiveRate.MIN_RATE, rate.rate());
        assertEquals(1, rate.window());
        // a 429 never is: the endpoint says it is there, and busy
        AdaptiveRate other = new AdaptiveRate(now);
        assertEquals(AdaptiveRate.Verdict.RATE_LIMITED, other.refused(now - 1, false, 1, now));
        // a 503 while others are accepted is load shedding
        AdaptiveRate shedding = new AdaptiveRate(now);
        accept(shedding, 50, 500);
        assertEquals(AdaptiveRate.Verdict.RATE_LIMITED, shedding.refused(now - 1, true, 5, now));
    }

    @Test
    void theRateNeverFallsBelowTheMinimum() {
        AdaptiveRate rate = new AdaptiveRate(now);
        for (int i = 0; i < 100; i++) {
            now += 10 * MS;
            rate.refused(now - 1, false, 1, now);
        }
        assertEquals(AdaptiveRate.MIN_RATE, rate.rate());
    }

    @Test
    void freeAgainAfterAMinuteWithoutRefusal() {
        AdaptiveRate rate = new AdaptiveRate(now);
        accept(rate, 100, 1_000);
        rate.refused(now - MS, false, 10, now);
        accept(rate, 100, 59_000);
        assertTrue(rate.isLimited());
        accept(rate, 10, 1_100);
        assertFalse(rate.isLimited());
        assertEquals(Double.POSITIVE_INFINITY, rate.rate());
    }

    @Test
    void theAcceptedRateForgetsWhatIsOlderThanASecond() {
        AdaptiveRate rate = new AdaptiveRate(now);
        accept(rate, 300, 1_000);
        assertEquals(300, rate.acceptedRate(now), 31);
        now += 1_100 * MS;
        assertEquals(0, rate.acceptedRate(now));
    }
}
