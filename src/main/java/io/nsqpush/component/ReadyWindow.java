package io.nsqpush.component;

import java.util.List;

/**
 * How a consumer's maxInFlight is spread as RDY over its nsqd connections, as go-nsq does it, with one guarantee more:
 * the messages nsqd may have in flight over all connections never exceed maxInFlight.
 * <ul>
 *   <li>Fewer connections than maxInFlight: each gets a share of max(1, maxInFlight / n) (the remainder one each to the
 *   first). A connection's worst case is max(in flight, RDY), so a newcomer's RDY grows only as the others drain.</li>
 *   <li>More connections than maxInFlight: at most maxInFlight of them get RDY 1. Every {@link #REDISTRIBUTE_NANOS}
 *   a connection idle for {@link #IDLE_NANOS} gives its 1 back, and the free window goes to connections that have
 *   none, starting after the last one served, so that every nsqd gets its turn (go-nsq's rdy redistribution).</li>
 *   <li>Paused (the downstream is unavailable): RDY 0 everywhere. Probing without a held message: RDY 1 on one
 *   connection, the next in turn, while no message is in flight.</li>
 * </ul>
 * A lowered RDY travels on its own socket while a raised one travels on another, and nsqd acknowledges neither: a
 * link keeps counting the RDY it gave up for {@link #SETTLE_NANOS} ({@link Link#reach()}), so that the window it
 * frees is handed out only once nsqd has surely stopped acting on the old one.
 * Not thread-safe: the consumer calls it under its lock.
 */
final class ReadyWindow {

    /** go-nsq's rdy_redistribute_interval. */
    static final long REDISTRIBUTE_NANOS = 5_000_000_000L;
    /** go-nsq's low_rdy_idle_timeout. */
    static final long IDLE_NANOS = 10_000_000_000L;

    /** How long a lowered RDY still counts: far above the time a command takes to reach nsqd on a live link. */
    static final long SETTLE_NANOS = 500_000_000L;

    enum Mode { RUNNING, PAUSED, PROBE }

    /**
     * One live connection as the window sees it.
     *
     * @param reach the highest RDY nsqd may still be acting on: the current one, or a higher one lowered less than
     *              {@link #SETTLE_NANOS} ago
     */
    record Link(int inFlight, int ready, int reach, long lastMessageNanos) {
        Link {
            reach = Math.max(reach, ready);
        }

        Link(int inFlight, int ready, long lastMessageNanos) {
            this(inFlight, ready, ready, lastMessageNanos);
        }

        int worstCase() {
            return worstCase(ready);
        }

        /** The most messages nsqd may have in flight on this link if its RDY becomes {@code newReady}. */
        int worstCase(int newReady) {
            return Math.max(inFlight, Math.max(newReady, reach));
        }
    }

    private final int maxInFlight;
    /** Where the next free RDY 1 goes when connections outnumber the window (and where the next probe goes). */
    private int cursor;
    private boolean redistributed;
    private long lastRedistribution;

    ReadyWindow(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    /**
     * @param links   the live connections, in a stable order
     * @param orphans messages still being processed whose connection is gone: they hold part of the window
     * @return the RDY each link should have now; {@code starved()} of the result says whether a link is below its
     *         share (then every finished message is a reason to plan again)
     */
    Plan plan(List<Link> links, int orphans, Mode mode, long now) {
        return plan(links, orphans, mode, now, maxInFlight);
    }

    /**
     * @param limit the most messages in flight allowed now, at most maxInFlight: lower while messages are big (the
     *              {@link ByteBudget}), 0 while the byte budget is used up (RDY 0 everywhere, as when paused)
     */
    Plan plan(List<Link> links, int orphans, Mode mode, long now, int limit) {
        int n = links.size();
        int[] ready = new int[n];
        int window = Math.max(0, Math.min(limit, maxInFlight));
        if (n == 0 || mode == Mode.PAUSED || window == 0) {
            return new Plan(ready, false);
        }
        if (mode == Mode.PROBE) {
            boolean anyInFlight = orphans > 0 || links.stream().anyMatch(l -> l.inFlight() > 0);
            if (!anyInFlight) {
                // the link already asked keeps the ask until its message comes (planning again moves nothing);
                // a new ask waits until no lowered RDY may still bring a message
                int asked = -1;
                boolean settling = false;
                for (int i = 0; i < n; i++) {
                    asked = asked < 0 && links.get(i).ready() > 0 ? i : asked;
                    settling |= links.get(i).reach() > links.get(i).ready();
                }
                if (asked >= 0) {
                    ready[asked] = 1;
                } else if (!settling) {
                    ready[Math.floorMod(cursor++, n)] = 1;
                }
            }
            return new Plan(ready, false);
        }
        return n > window ? rotate(links, orphans, now, window) : split(links, orphans, window);
    }

    private Plan split(List<Link> links, int orphans, int maxInFlight) {
        int n = links.size();
        int[] ready = new int[n];
        int[] share = new int[n];
        int free = maxInFlight - Math.max(0, orphans);
        for (int i = 0; i < n; i++) {
            share[i] = Math.max(1, maxInFlight / n + (i < maxInFlight % n ? 1 : 0));
            // lowering is always safe; a link above its share keeps only its share. Its old RDY still counts in
            // this plan (nsqd may send on it until the new one arrives): what it gives up goes out next time
            ready[i] = Math.min(links.get(i).ready(), share[i]);
            free -= links.get(i).worstCase();
        }
        boolean starved = false;
        for (int i = 0; i < n; i++) {
            Link link = links.get(i);
            if (ready[i] < share[i]) {
                int worstCase = link.worstCase(ready[i]);
                int target = Math.min(share[i], worstCase + Math.max(0, free));
                if (target > ready[i]) {
                    free -= link.worstCase(target) - worstCase;
                    ready[i] = target;
                }
                starved |= ready[i] < share[i];
            }
        }
        return new Plan(ready, starved);
    }

    private Plan rotate(List<Link> links, int orphans, long now, int maxInFlight) {
        int n = links.size();
        int[] ready = new int[n];
        boolean redistribute = !redistributed || now - lastRedistribution >= REDISTRIBUTE_NANOS;
        if (redistribute) {
            redistributed = true;
            lastRedistribution = now;
        }
        boolean someoneWaits = links.stream().anyMatch(l -> l.ready() == 0 && l.inFlight() == 0);
        int free = maxInFlight - Math.max(0, orphans);
        boolean[] released = new boolean[n];
        for (int i = 0; i < n; i++) {
            Link link = links.get(i);
            boolean idle = link.inFlight() == 0 && now - link.lastMessageNanos() >= IDLE_NANOS;
            // at each redistribution the window moves on: idle links, and busy ones when another nsqd waits
            released[i] = link.ready() > 0 && redistribute && (idle || someoneWaits);
            ready[i] = link.ready() > 0 && !released[i] ? 1 : 0;
            free -= link.worstCase(ready[i]);
        }
        boolean releasing = false;
        for (boolean r : released) {
            releasing |= r;
        }
        if (releasing) {
            // nsqd may still send on a released link until our RDY 0 reaches it: its share is given out next time
            return new Plan(ready, true);
        }
        // links that waited get the free window first, in turn from the cursor; the released ones after them
        int start = cursor;
        for (int pass = 0; pass < 2 && free > 0; pass++) {
            for (int k = 0; k < n && free > 0; k++) {
                int i = Math.floorMod(start + k, n);
                if (ready[i] == 0 && links.get(i).worstCase(0) == 0 && released[i] == (pass == 1)) {
                    ready[i] = 1;
                    free--;
                    cursor = i + 1;
                }
            }
        }
        return new Plan(ready, false);
    }

    /** The RDY per link, and whether some link waits for the window (re-plan when a message finishes). */
    record Plan(int[] ready, boolean starved) {
    }
}
