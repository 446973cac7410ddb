package io.nsqpush.component;

/**
 * The bytes of a consumer's messages in flight (received and not yet answered or given back, held ones included),
 * against a budget. Counting alone bounds memory only for small messages: 200 in flight of 4 MB each is 800 MB of
 * bodies before their formatted copies. Two bounds follow from it:
 * <ul>
 *   <li>{@link #window()}: how many messages RDY may allow, the budget divided by the recent average message size
 *   (at least 1, at most maxInFlight), and 0 while the budget is used up, so that nsqd stops sending (go-nsq shrinks
 *   RDY in the same way on back-off) and RDY grows back as bytes are freed;</li>
 *   <li>{@link #isOver()}: a connection whose RDY nsqd already acted on may still bring more, so above the budget the
 *   consumer stops reading from its sockets (a frame being read is completed, so one frame per connection may come on
 *   top) and reads again once the bytes are back within it.</li>
 * </ul>
 * A single message larger than the budget still goes through, alone. Thread-safe.
 */
final class ByteBudget {

    /** Weight of the newest size in the running average: a change of sizes shows within a few dozen messages. */
    private static final double WEIGHT = 1.0 / 16;

    private final long budget;
    private final int maxInFlight;
    private long inFlight;
    private double averageSize;

    ByteBudget(long budget, int maxInFlight) {
        if (budget <= 0 || maxInFlight <= 0) {
            throw new IllegalArgumentException("budget " + budget + ", maxInFlight " + maxInFlight);
        }
        this.budget = budget;
        this.maxInFlight = maxInFlight;
    }

    /** The default budget when none is set: a quarter of the heap (see the README, "Memory"). */
    static long defaultBudget(long maxHeapBytes) {
        return Math.max(1, maxHeapBytes / 4);
    }

    /** @return whether the budget was within bounds before and is exceeded now (stop reading) */
    synchronized boolean add(long bytes) {
        boolean wasOver = isOverLocked();
        inFlight += bytes;
        averageSize = averageSize == 0 ? bytes : averageSize + WEIGHT * (bytes - averageSize);
        return !wasOver && isOverLocked();
    }

    /** @return whether the budget was exceeded before and is within bounds now (read again, raise RDY) */
    synchronized boolean release(long bytes) {
        boolean wasOver = isOverLocked();
        inFlight = Math.max(0, inFlight - bytes);
        return wasOver && !isOverLocked();
    }

    synchronized boolean isOver() {
        return isOverLocked();
    }

    private boolean isOverLocked() {
        return inFlight > budget;
    }

    /**
     * @return the most messages that RDY may allow in flight now: 0 while over the budget, else as many messages of
     *         the average size as fit into it (at least 1, at most maxInFlight); maxInFlight before any message
     *         came (as go-nsq starts: RDY 1 instead would leave all but one of many nsqd waiting for the window's
     *         rotation). What such a first burst brings beyond the budget waits unread in the socket buffers, and
     *         nsqd's msg timeout runs for it there: the budget's worth must be processed within msgTimeout
     */
    synchronized int window() {
        if (isOverLocked()) {
            return 0;
        }
        if (averageSize == 0) {
            return maxInFlight;
        }
        return (int) Math.max(1, Math.min(maxInFlight, (long) (budget / averageSize)));
    }

    synchronized long inFlight() {
        return inFlight;
    }

    long budget() {
        return budget;
    }
}
