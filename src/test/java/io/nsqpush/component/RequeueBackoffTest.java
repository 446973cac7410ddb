package io.nsqpush.component;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RequeueBackoffTest {

    @Test
    void doublesFromTheBaseWithEachAttempt() {
        RequeueBackoff backoff = new RequeueBackoff(1_000, 900_000);
        assertEquals(1_000, backoff.delayFor(1));
        assertEquals(2_000, backoff.delayFor(2));
        assertEquals(4_000, backoff.delayFor(3));
        assertEquals(512_000, backoff.delayFor(10));
    }

    @Test
    void neverExceedsTheCapEvenWhenTheShiftWouldOverflow() {
        RequeueBackoff backoff = new RequeueBackoff(1_000, 900_000);
        assertEquals(900_000, backoff.delayFor(11));
        assertEquals(900_000, backoff.delayFor(65_535));
    }

    @Test
    void clampsACapAboveNsqdsOneHourLimit() {
        RequeueBackoff backoff = new RequeueBackoff(10_000, 10 * 3_600_000L);
        assertEquals(3_600_000, backoff.delayFor(30));
    }

    @Test
    void treatsAttemptZeroOrNegativeInputsAsTheFirstAndNeverGoesNegative() {
        assertEquals(500, new RequeueBackoff(500, 10_000).delayFor(0));
        assertEquals(0, new RequeueBackoff(-5, 10_000).delayFor(3));
        assertEquals(0, new RequeueBackoff(1_000, -1).delayFor(3));
    }
}
