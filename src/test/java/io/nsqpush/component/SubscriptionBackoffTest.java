package io.nsqpush.component;

import io.nsqpush.component.SubscriptionBackoff.Change;
import io.nsqpush.component.SubscriptionBackoff.State;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubscriptionBackoffTest {

    private static final long MS = 1_000_000L;

    /** base 1 s, max 8 s, jitter fixed at its middle (x 1.0). */
    private final SubscriptionBackoff backoff = new SubscriptionBackoff(1_000, 8_000, () -> 0.5);

    @Test
    void oneMessageFailingAloneNeverPauses() {
        for (int i = 0; i < 10; i++) {
            assertEquals(Change.NONE, backoff.unavailable("poison", 0, "HTTP 503", false, i * MS));
        }
        assertEquals(State.RUNNING, backoff.state());
    }

    @Test
    void twoDistinctMessagesWithNoSuccessBetweenPause() {
        assertEquals(Change.NONE, backoff.unavailable("a", 0, "refused", false, 0));
        assertEquals(Change.PAUSED, backoff.unavailable("b", 0, "refused", false, 0));
        assertEquals(State.PAUSED, backoff.state());
        assertEquals(1, backoff.pauses());
        assertEquals("refused", backoff.reason());
        assertEquals(1_000 * MS, backoff.probeAtNanos());
    }

    @Test
    void aSuccessInBetweenTellsAPoisonMessageFromAnOutage() {
        backoff.unavailable("poison", 0, "HTTP 503", false, 0);
        backoff.succeeded(1);
        assertEquals(Change.NONE, backoff.unavailable("other", 0, "HTTP 503", false, 2));
        assertEquals(State.RUNNING, backoff.state());
    }

    @Test
    void probesComeAtDoublingIntervalsUpToTheMaximum() {
        backoff.unavailable("a", 0, "refused", false, 0);
        backoff.unavailable("b", 0, "refused", false, 0);
        long now = 0;
        long[] expected = {1_000, 2_000, 4_000, 8_000, 8_000};
        for (long wait : expected) {
            assertEquals(now + wait * MS, backoff.probeAtNanos());
            assertFalse(backoff.startProbe(backoff.probeAtNanos() - 1), "not before it is due");
            now = backoff.probeAtNanos();
            assertTrue(backoff.startProbe(now));
            assertEquals(State.PROBING, backoff.state());
            assertEquals(Change.NONE, backoff.unavailable("a", 0, "refused", true, now));
        }
        assertEquals(5, backoff.probes());
    }

    @Test
    void aSuccessfulProbeResumes() {
        backoff.unavailable("a", 0, "refused", false, 0);
        backoff.unavailable("b", 0, "refused", false, 0);
        assertTrue(backoff.startProbe(1_000 * MS));
        assertEquals(Change.RESUMED, backoff.succeeded(1_001 * MS));
        assertEquals(State.RUNNING, backoff.state());
        // a new outage starts from the first pause again
        backoff.unavailable("c", 0, "refused", false, 2_000 * MS);
        backoff.unavailable("d", 0, "refused", false, 2_000 * MS);
        assertEquals(3_000 * MS, backoff.probeAtNanos());
        assertEquals(2, backoff.pauses());
    }

    @Test
    void aProbeTheEndpointRejectsForItsBodyStillShowsItAnswers() {
        backoff.unavailable("a", 0, "refused", false, 0);
        backoff.unavailable("b", 0, "refused", false, 0);
        backoff.startProbe(1_000 * MS);
        // the route reports any answer that is not "unavailable" as the downstream answering
        assertEquals(Change.RESUMED, backoff.succeeded(1_001 * MS));
    }

    @Test
    void retryAfterPausesAtOnceForExactlyThatLongAndNoSuccessShortensIt() {
        assertEquals(Change.PAUSED, backoff.unavailable("a", 2_000, "HTTP 429", false, 0));
        assertEquals(2_000 * MS, backoff.probeAtNanos());
        // a request sent before the pause comes back 2xx: the downstream still asked for 2 s
        assertEquals(Change.NONE, backoff.succeeded(500 * MS));
        assertEquals(State.PAUSED, backoff.state());
        assertTrue(backoff.startProbe(2_000 * MS));
        assertEquals(Change.RESUMED, backoff.succeeded(2_001 * MS));
    }

    @Test
    void aLongerRetryAfterWhilePausedExtendsThePause() {
        backoff.unavailable("a", 0, "refused", false, 0);
        backoff.unavailable("b", 0, "refused", false, 0);
        backoff.unavailable("c", 5_000, "HTTP 503", false, 100 * MS);
        assertEquals(5_100 * MS, backoff.probeAtNanos());
    }

    @Test
    void jitterStaysWithinTenPercent() {
        SubscriptionBackoff low = new SubscriptionBackoff(1_000, 8_000, () -> 0.0);
        low.unavailable("a", 0, "x", false, 0);
        low.unavailable("b", 0, "x", false, 0);
        assertEquals(900 * MS, low.probeAtNanos());
        SubscriptionBackoff high = new SubscriptionBackoff(1_000, 8_000, () -> 1.0);
        high.unavailable("a", 0, "x", false, 0);
        high.unavailable("b", 0, "x", false, 0);
        assertEquals(1_100 * MS, high.probeAtNanos());
    }

    @Test
    void aLostProbeIsRetriedAtOnce() {
        backoff.unavailable("a", 0, "refused", false, 0);
        backoff.unavailable("b", 0, "refused", false, 0);
        backoff.startProbe(1_000 * MS);
        backoff.probeLost(1_200 * MS);
        assertEquals(State.PAUSED, backoff.state());
        assertTrue(backoff.startProbe(1_200 * MS));
    }
}
