package io.nsqpush.push;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostPoolTest {

    private static final long MS = 1_000_000L;

    @Test
    void endpointsAreUsedInTurn() {
        HostPool pool = new HostPool(3, 1_000, 8_000);
        List<Integer> picks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picks.add(pool.pick(0, -1));
        }
        assertEquals(List.of(0, 1, 2, 0, 1, 2), picks);
    }

    @Test
    void aFailedEndpointIsLeftOutForAGrowingWhileAndTriedAgainAfter() {
        HostPool pool = new HostPool(2, 1_000, 4_000);
        pool.failed(0, 0);
        assertTrue(pool.isOut(0, 999 * MS));
        assertEquals(1, pool.pick(500 * MS, -1));
        assertEquals(1, pool.pick(600 * MS, -1));
        assertEquals(0, pool.pick(1_000 * MS, -1), "its wait is over: tried again");
        pool.failed(0, 1_000 * MS);
        assertTrue(pool.isOut(0, 2_999 * MS), "the second failure doubles the wait");
        assertFalse(pool.isOut(0, 3_000 * MS));
        pool.failed(0, 3_000 * MS);
        pool.failed(0, 3_000 * MS);
        assertTrue(pool.isOut(0, 6_999 * MS) && !pool.isOut(0, 7_000 * MS), "never more than the maximum");
        pool.succeeded(0);
        assertFalse(pool.isOut(0, 3_001 * MS), "a success puts it back at once");
    }

    @Test
    void aRetryGoesToAnotherEndpointFirst() {
        HostPool pool = new HostPool(3, 1_000, 8_000);
        assertEquals(0, pool.pick(0, -1));
        pool.failed(0, 0);
        assertEquals(1, pool.pick(0, 0));
    }

    @Test
    void whenEveryEndpointIsOutTheOneBackFirstIsUsed() {
        HostPool pool = new HostPool(2, 1_000, 8_000);
        pool.failed(0, 0);
        pool.failed(1, 0);
        pool.failed(1, 0);
        assertEquals(0, pool.pick(10 * MS, -1), "0 is back after 1 s, 1 after 2 s");
        assertEquals(0, pool.pick(10 * MS, 1));
    }
}
