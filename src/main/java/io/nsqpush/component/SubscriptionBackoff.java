package io.nsqpush.component;

import java.util.HashSet;
import java.util.Set;
import java.util.function.DoubleSupplier;

/**
 * A subscription's circuit breaker: whether it takes messages, or pauses because its downstream (the endpoint) is
 * unavailable and probes it now and then with one message. Pure: the consumer feeds it what happened and asks it what
 * to do; it touches no connection.
 * <p>
 * "The endpoint fails" is told from "this message fails" by breadth: the subscription pauses when requests for
 * {@link #DISTINCT_MESSAGES} different messages found the downstream unavailable with no success in between, or at
 * once when the downstream asked for a pause (Retry-After). A message that fails alone while others succeed never
 * pauses anything.
 * <p>
 * Paused, the first probe comes after {@code baseMillis}; each failed probe doubles the wait up to {@code maxMillis},
 * with ±10 % jitter so that many bridges do not probe in step. A probe that succeeds, or any success, resumes, except
 * before the end of a pause the downstream asked for.
 */
final class SubscriptionBackoff {

    /** Messages that must fail as "unavailable" (with no success in between) before the subscription pauses. */
    static final int DISTINCT_MESSAGES = 2;

    enum State { RUNNING, PAUSED, PROBING }

    private final long baseMillis;
    private final long maxMillis;
    private final DoubleSupplier random;
    private final Set<String> failedSinceSuccess = new HashSet<>();
    private State state = State.RUNNING;
    /** Doublings of the pause so far in this outage. */
    private int level;
    private long probeAtNanos;
    /** End of a pause the downstream asked for (Retry-After): no success resumes before it. */
    private long askedUntilNanos;
    private long pausedSinceNanos;
    private int probes;
    private long pauses;
    private String reason;

    SubscriptionBackoff(long baseMillis, long maxMillis, DoubleSupplier random) {
        this.baseMillis = baseMillis;
        this.maxMillis = Math.max(baseMillis, maxMillis);
        this.random = random;
    }

    /**
     * A request for a message found the downstream unavailable.
     *
     * @param pauseMillis a pause the downstream asked for (Retry-After), 0 when it did not
     * @param probe       whether this message is the probe of a paused subscription
     * @return what changed: {@link Change#PAUSED} when the subscription pauses now, else {@link Change#NONE}
     */
    synchronized Change unavailable(String messageId, long pauseMillis, String reason, boolean probe, long now) {
        switch (state) {
            case RUNNING -> {
                failedSinceSuccess.add(messageId);
                if (pauseMillis > 0 || failedSinceSuccess.size() >= DISTINCT_MESSAGES) {
                    level = 0;
                    pausedSinceNanos = now;
                    probes = 0;
                    pauses++;
                    pause(now, pauseMillis, reason);
                    return Change.PAUSED;
                }
            }
            case PAUSED -> {
                if (pauseMillis > 0) {
                    pause(now, pauseMillis, reason);
                }
            }
            case PROBING -> {
                if (probe) {
                    level++;
                    pause(now, pauseMillis, reason);
                } else if (pauseMillis > 0) {
                    askedUntilNanos = Math.max(askedUntilNanos, now + pauseMillis * 1_000_000);
                }
            }
        }
        return Change.NONE;
    }

    /**
     * A message was delivered, or the downstream answered and rejected it (a probe the endpoint refuses for its body
     * shows the endpoint is back as well). While paused this shows the downstream answers again.
     *
     * @return {@link Change#RESUMED} when the subscription takes messages again
     */
    synchronized Change succeeded(long now) {
        failedSinceSuccess.clear();
        return state != State.RUNNING && now >= askedUntilNanos ? resume() : Change.NONE;
    }

    /** @return true when it is time to probe: the state is then {@link State#PROBING} until the probe's outcome */
    synchronized boolean startProbe(long now) {
        if (state != State.PAUSED || now - probeAtNanos < 0) {
            return false;
        }
        state = State.PROBING;
        probes++;
        return true;
    }

    /** The probe was lost before an outcome (its connection dropped, the consumer stopped): probe again soon. */
    synchronized void probeLost(long now) {
        if (state == State.PROBING) {
            state = State.PAUSED;
            probeAtNanos = now;
        }
    }

    private void pause(long now, long askedMillis, String why) {
        state = State.PAUSED;
        reason = why;
        long millis = askedMillis > 0 ? askedMillis : jittered(Math.min(maxMillis, baseMillis << Math.min(level, 40)));
        probeAtNanos = now + millis * 1_000_000;
        if (askedMillis > 0) {
            askedUntilNanos = Math.max(askedUntilNanos, probeAtNanos);
        }
    }

    private long jittered(long millis) {
        return Math.max(1, Math.round(millis * (0.9 + 0.2 * random.getAsDouble())));
    }

    private Change resume() {
        state = State.RUNNING;
        level = 0;
        askedUntilNanos = 0;
        failedSinceSuccess.clear();
        return Change.RESUMED;
    }

    synchronized State state() {
        return state;
    }

    synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    /** @return when the next probe is due (System.nanoTime), meaningful while paused */
    synchronized long probeAtNanos() {
        return probeAtNanos;
    }

    /** @return since when the subscription is paused (System.nanoTime), meaningful while not running */
    synchronized long pausedSinceNanos() {
        return pausedSinceNanos;
    }

    /** @return probes sent in the current (or last) outage */
    synchronized int probes() {
        return probes;
    }

    /** @return how many times the subscription paused */
    synchronized long pauses() {
        return pauses;
    }

    /** @return why it paused (the last unavailable failure), or null */
    synchronized String reason() {
        return reason;
    }

    /** What a call changed, so that the consumer logs and re-plans RDY only then. */
    enum Change { NONE, PAUSED, RESUMED }
}
