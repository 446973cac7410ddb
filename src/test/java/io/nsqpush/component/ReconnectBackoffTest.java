package io.nsqpush.component;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconnectBackoffTest {

    private static final long S = TimeUnit.SECONDS.toNanos(1);

    /** random() = 0.999…: the delay itself; 0: half of it. */
    private static ReconnectBackoff backoff(double random) {
        return new ReconnectBackoff(500, 30_000, 30_000, () -> random);
    }

    @Test
    void failedConnectsDoubleTheDelayUpToTheMaximum() {
        ReconnectBackoff backoff = backoff(0.9999999);
        assertTrue(backoff.connectFailed(), "the first failure starts the outage");
        assertEquals(500, backoff.nextDelayMillis());
        assertFalse(backoff.connectFailed());
        assertEquals(1000, backoff.nextDelayMillis());
        for (int i = 0; i < 10; i++) {
            backoff.connectFailed();
        }
        assertEquals(30_000, backoff.nextDelayMillis());
    }

    @Test
    void jitterTakesUpToHalfOff() {
        ReconnectBackoff backoff = backoff(0);
        backoff.connectFailed();
        backoff.connectFailed();
        assertEquals(500, backoff.nextDelayMillis());
    }

    @Test
    void aConnectionLostSoonAfterItCameUpContinuesTheOutageAndItsGrowingDelay() {
        ReconnectBackoff backoff = backoff(0.9999999);
        assertFalse(backoff.connected(0), "the first connect is no reconnect");
        assertTrue(backoff.lost(S), "the loss of a first connection starts an outage");
        assertEquals(500, backoff.nextDelayMillis());
        long now = 2 * S;
        for (long expected : new long[]{1000, 2000, 4000, 8000, 16_000, 30_000, 30_000}) {
            assertTrue(backoff.connected(now), "a reconnect");
            now += S / 100; // a malformed frame right after the handshake
            assertFalse(backoff.lost(now), "not a new outage");
            assertEquals(expected, backoff.nextDelayMillis());
            now += S;
        }
    }

    @Test
    void aConnectionThatStayedUpEndsTheOutage() {
        ReconnectBackoff backoff = backoff(0.9999999);
        backoff.connectFailed();
        backoff.connectFailed();
        backoff.connectFailed();
        assertTrue(backoff.connected(0));
        assertTrue(backoff.lost(30 * S), "up for maxReconnectDelay: a new outage");
        assertEquals(500, backoff.nextDelayMillis(), "from the first delay again");
    }
}
