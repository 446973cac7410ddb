package io.nsqpush.component;

import io.nsqpush.component.ReadyWindow.Link;
import io.nsqpush.component.ReadyWindow.Mode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadyWindowTest {

    private static final long S = 1_000_000_000L;

    private static Link idle() {
        return new Link(0, 0, 0);
    }

    @Test
    void splitsLikeGoNsqWithTheRemainderToTheFirst() {
        ReadyWindow window = new ReadyWindow(5);
        ReadyWindow.Plan plan = window.plan(List.of(idle(), idle()), 0, Mode.RUNNING, 0);
        assertArrayEquals(new int[] {3, 2}, plan.ready());
        assertFalse(plan.starved());
        assertArrayEquals(new int[] {200}, new ReadyWindow(200).plan(List.of(idle()), 0, Mode.RUNNING, 0).ready());
    }

    @Test
    void aNewcomerGetsItsShareOnlyAsTheOthersDrain() {
        ReadyWindow window = new ReadyWindow(10);
        // the first link holds the whole window with 10 in flight; a second one comes up
        ReadyWindow.Plan plan = window.plan(List.of(new Link(10, 10, 0), idle()), 0, Mode.RUNNING, 0);
        assertArrayEquals(new int[] {5, 0}, plan.ready());
        assertTrue(plan.starved(), "the newcomer waits below its share");
        // 6 of the first link's messages finished: 4 in flight, RDY 5 -> worst case 5, so 5 are free
        plan = window.plan(List.of(new Link(4, 5, 0), idle()), 0, Mode.RUNNING, 0);
        assertArrayEquals(new int[] {5, 5}, plan.ready());
        assertFalse(plan.starved());
    }

    @Test
    void theWorstCaseSumNeverExceedsMaxInFlight() {
        ReadyWindow window = new ReadyWindow(7);
        java.util.Random random = new java.util.Random(7);
        for (int round = 0; round < 2000; round++) {
            int n = 1 + random.nextInt(6);
            List<Link> links = new ArrayList<>();
            int budget = 7;
            for (int i = 0; i < n; i++) {
                int ready = random.nextInt(4);
                int inFlight = Math.min(budget, random.nextInt(4));
                budget -= Math.max(inFlight, ready);
                int reach = random.nextInt(3);
                links.add(new Link(inFlight, Math.max(0, Math.min(ready, budget + ready)), reach, 0));
            }
            int orphans = random.nextInt(3);
            int[] ready = window.plan(links, orphans, Mode.RUNNING, round * S).ready();
            int worst = orphans;
            for (int i = 0; i < n; i++) {
                worst += links.get(i).worstCase(ready[i]);
            }
            int before = orphans + links.stream().mapToInt(Link::worstCase).sum();
            assertTrue(worst <= Math.max(7, before), "round " + round + ": " + links + " -> " + Arrays.toString(ready));
        }
    }

    @Test
    void aLoweredRdyStillCountsUntilItSettlesSoTheWindowItFreesIsNotHandedOutAtOnce() {
        ReadyWindow window = new ReadyWindow(2);
        // a second nsqd arrives: the first one's RDY 2 goes down to 1, the newcomer waits
        assertArrayEquals(new int[] {1, 0}, window.plan(List.of(new Link(0, 2, 0), idle()), 0, Mode.RUNNING, 0)
                .ready());
        // RDY 1 was sent, but nsqd may not have it yet: the newcomer still waits
        ReadyWindow.Plan plan = window.plan(List.of(new Link(0, 1, 2, 0), idle()), 0, Mode.RUNNING, 0);
        assertArrayEquals(new int[] {1, 0}, plan.ready());
        assertTrue(plan.starved(), "planned again as soon as something changes");
        // settled: the freed 1 goes to the newcomer
        assertArrayEquals(new int[] {1, 1}, window.plan(List.of(new Link(0, 1, 0), idle()), 0, Mode.RUNNING, 0)
                .ready());
        // a link whose RDY 1 was lowered to 0 a moment ago may get it back at no cost
        assertArrayEquals(new int[] {1, 1}, new ReadyWindow(2).plan(List.of(new Link(0, 0, 1, 0), new Link(0, 1, 0)),
                0, Mode.RUNNING, 0).ready());
    }

    @Test
    void aReleasedLinkStillCountsUntilItSettlesWhenConnectionsOutnumberTheWindow() {
        ReadyWindow window = new ReadyWindow(1);
        assertArrayEquals(new int[] {1, 0}, window.plan(List.of(idle(), idle()), 0, Mode.RUNNING, 0).ready());
        long now = ReadyWindow.REDISTRIBUTE_NANOS;
        assertArrayEquals(new int[] {0, 0}, window.plan(List.of(new Link(0, 1, 0), idle()), 0, Mode.RUNNING, now)
                .ready(), "released at the redistribution");
        assertArrayEquals(new int[] {0, 0}, window.plan(List.of(new Link(0, 0, 1, 0), idle()), 0, Mode.RUNNING,
                now + 1).ready(), "the released RDY 1 has not settled");
        assertArrayEquals(new int[] {0, 1}, window.plan(List.of(new Link(0, 0, 0), idle()), 0, Mode.RUNNING,
                now + ReadyWindow.SETTLE_NANOS).ready(), "settled: the other nsqd's turn");
    }

    @Test
    void orphansStillBeingProcessedHoldPartOfTheWindow() {
        assertArrayEquals(new int[] {3}, new ReadyWindow(5).plan(List.of(idle()), 2, Mode.RUNNING, 0).ready());
    }

    @Test
    void pausedMeansRdyZeroEverywhere() {
        assertArrayEquals(new int[] {0, 0},
                new ReadyWindow(5).plan(List.of(new Link(1, 3, 0), idle()), 0, Mode.PAUSED, 0).ready());
    }

    @Test
    void aProbeAsksOneConnectionForOneMessageInTurn() {
        ReadyWindow window = new ReadyWindow(5);
        List<Link> links = List.of(idle(), idle(), idle());
        assertArrayEquals(new int[] {1, 0, 0}, window.plan(links, 0, Mode.PROBE, 0).ready());
        assertArrayEquals(new int[] {0, 1, 0}, window.plan(links, 0, Mode.PROBE, 0).ready());
        // planned again before a message came (every tick): the ask stays where it is, no RDY moves
        assertArrayEquals(new int[] {0, 1, 0}, window.plan(List.of(idle(), new Link(0, 1, 0), idle()), 0,
                Mode.PROBE, 0).ready());
        // a link that was just lowered may still bring a message: no new ask until it settles
        assertArrayEquals(new int[] {0, 0, 0}, window.plan(List.of(new Link(0, 0, 3, 0), idle(), idle()), 0,
                Mode.PROBE, 0).ready());
        assertArrayEquals(new int[] {0, 0, 1}, window.plan(links, 0, Mode.PROBE, 0).ready());
        // while a message is in flight no more is asked for
        assertArrayEquals(new int[] {0, 0, 0}, window.plan(List.of(new Link(1, 0, 0), idle(), idle()), 0, Mode.PROBE, 0)
                .ready());
    }

    @Test
    void moreConnectionsThanTheWindowGetRdyOneInTurnAndTheSumStaysWithinIt() {
        ReadyWindow window = new ReadyWindow(2);
        List<Link> links = new ArrayList<>(List.of(idle(), idle(), idle(), idle(), idle()));
        Set<Integer> served = new HashSet<>();
        long now = 0;
        for (int round = 0; round < 6; round++) {
            int[] ready = window.plan(links, 0, Mode.RUNNING, now).ready();
            if (round > 0) {
                // a redistribution first releases; the window goes out at the next plan
                assertEquals(0, Arrays.stream(ready).sum(), "round " + round + ": " + Arrays.toString(ready));
                for (int i = 0; i < ready.length; i++) {
                    links.set(i, new Link(0, 0, links.get(i).lastMessageNanos()));
                }
                ready = window.plan(links, 0, Mode.RUNNING, now + 1).ready();
            }
            assertEquals(2, Arrays.stream(ready).sum(), "round " + round + ": " + Arrays.toString(ready));
            for (int i = 0; i < ready.length; i++) {
                if (ready[i] == 1) {
                    served.add(i);
                }
                // the links keep what they were given, a message each just arrived and was answered
                links.set(i, new Link(0, ready[i], ready[i] == 1 ? now : links.get(i).lastMessageNanos()));
            }
            now += ReadyWindow.REDISTRIBUTE_NANOS;
        }
        assertEquals(Set.of(0, 1, 2, 3, 4), served, "every nsqd gets its turn");
    }

    @Test
    void betweenRedistributionsTheHoldersKeepTheWindow() {
        ReadyWindow window = new ReadyWindow(1);
        assertArrayEquals(new int[] {1, 0}, window.plan(List.of(idle(), idle()), 0, Mode.RUNNING, 0).ready());
        assertArrayEquals(new int[] {1, 0},
                window.plan(List.of(new Link(1, 1, S), idle()), 0, Mode.RUNNING, S).ready());
        // at the next redistribution the busy holder gives its 1 back, but its message still counts: nothing free
        assertArrayEquals(new int[] {0, 0}, window.plan(List.of(new Link(1, 1, S), idle()), 0, Mode.RUNNING,
                ReadyWindow.REDISTRIBUTE_NANOS + S).ready());
    }
}
