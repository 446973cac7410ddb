package io.nsqpush.component;

import io.nsqpush.config.Durations;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a consumer does with a message whose attempt failed: the REQ delay after attempt <i>n</i> (nsqd's attempts
 * counter, 1 on the first delivery) and the attempt from which a route dead-letters it. The delay is a REQ timeout, so
 * the message waits in nsqd, not in this process; the attempts are nsqd's, so a restart of the bridge does not restart
 * the schedule. Three policies:
 * <ul>
 *   <li>{@link Policy#NSQ}: requeueDelay doubling up to maxRequeueDelay, maxAttempts attempts (as nsq_to_http);</li>
 *   <li>{@link Policy#BACKOFF_RETRY} (CMQ, MNS): 3 retries, each after a random 10–20 s, so 4 attempts;</li>
 *   <li>{@link Policy#EXPONENTIAL_DECAY_RETRY} (CMQ's default): 176 retries over a day, after 1, 2, 4, ..., 256 s and
 *   then 512 s for the remaining 167, so 177 attempts.</li>
 * </ul>
 * Pure: the randomness of BACKOFF_RETRY is the injected {@link Jitter}.
 */
public final class RetrySchedule {

    /** The names a user picks, as CMQ spells its NotifyStrategy. */
    public enum Policy { NSQ, BACKOFF_RETRY, EXPONENTIAL_DECAY_RETRY }

    /** Draws a delay between two bounds, both included. */
    @FunctionalInterface
    public interface Jitter {
        long between(long minMillis, long maxMillis);
    }

    /** The jitter of a running consumer. */
    public static final Jitter RANDOM = (min, max) -> ThreadLocalRandom.current().nextLong(min, max + 1);

    static final int BACKOFF_RETRIES = 3;
    static final long BACKOFF_MIN_MS = 10_000;
    static final long BACKOFF_MAX_MS = 20_000;
    static final int DECAY_RETRIES = 176;
    /** 1 s doubled 9 times gives the growing part, 1..256 s; 512 s for every later retry. */
    static final int DECAY_GROWING = 9;
    static final long DECAY_FIRST_MS = 1_000;
    static final long DECAY_LAST_MS = 512_000;

    private final Policy policy;
    private final RequeueBackoff backoff;
    private final int maxAttempts;
    private final Jitter jitter;

    private RetrySchedule(Policy policy, RequeueBackoff backoff, int maxAttempts, Jitter jitter) {
        this.policy = policy;
        this.backoff = backoff;
        this.maxAttempts = maxAttempts;
        this.jitter = jitter;
    }

    /** The NSQ policy: requeueDelay × 2^(attempts−1) up to maxRequeueDelay, dead letter at maxAttempts. */
    public static RetrySchedule nsq(long requeueDelay, long maxRequeueDelay, int maxAttempts) {
        return new RetrySchedule(Policy.NSQ, new RequeueBackoff(requeueDelay, maxRequeueDelay), maxAttempts, null);
    }

    public static RetrySchedule of(Policy policy, long requeueDelay, long maxRequeueDelay, int maxAttempts,
                                   Jitter jitter) {
        return switch (policy) {
            case NSQ -> nsq(requeueDelay, maxRequeueDelay, maxAttempts);
            case BACKOFF_RETRY -> new RetrySchedule(policy, null, BACKOFF_RETRIES + 1, jitter);
            case EXPONENTIAL_DECAY_RETRY -> new RetrySchedule(policy, null, DECAY_RETRIES + 1, null);
        };
    }

    /** The schedule an nsq: consumer with this configuration follows. */
    public static RetrySchedule of(NsqConfiguration configuration, Jitter jitter) {
        return of(policy(configuration.getRetryPolicy()), configuration.getRequeueDelay(),
                configuration.getMaxRequeueDelay(), configuration.getMaxAttempts(), jitter);
    }

    /** @param name a policy's name as the option holds it (already checked against the option's enums) */
    public static Policy policy(String name) {
        return name == null || name.isBlank() ? Policy.NSQ : Policy.valueOf(name.trim().toUpperCase(Locale.ROOT));
    }

    public Policy policy() {
        return policy;
    }

    /** @return the attempt from which a message that fails is dead-lettered rather than REQed */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * @param attempts nsqd's attempts counter of the failed delivery, 1 on the first; past the schedule (a message that
     *                 cannot be kept as a dead letter is REQed again) the last delay repeats
     * @return the REQ delay in milliseconds
     */
    public long delayFor(int attempts) {
        int retry = Math.max(1, attempts); // the retry this delay leads to
        return switch (policy) {
            case NSQ -> backoff.delayFor(attempts);
            case BACKOFF_RETRY -> jitter.between(BACKOFF_MIN_MS, BACKOFF_MAX_MS);
            case EXPONENTIAL_DECAY_RETRY -> retry <= DECAY_GROWING ? DECAY_FIRST_MS << (retry - 1) : DECAY_LAST_MS;
        };
    }

    /** @return the longest REQ delay this schedule asks nsqd for (nsqd clamps one above its --max-req-timeout) */
    public long longestDelay() {
        return switch (policy) {
            case NSQ -> backoff.delayFor(Math.max(1, maxAttempts - 1));
            case BACKOFF_RETRY -> BACKOFF_MAX_MS;
            case EXPONENTIAL_DECAY_RETRY -> DECAY_LAST_MS;
        };
    }

    /**
     * @return the REQ delays of a CMQ policy for the start-up line, e.g. {@code BACKOFF_RETRY: REQ 10s-20s ×3}; null
     *         for NSQ, whose delays are listed one by one
     */
    public String describe() {
        return switch (policy) {
            case NSQ -> null;
            case BACKOFF_RETRY -> policy + ": REQ " + Durations.format(BACKOFF_MIN_MS) + "-"
                    + Durations.format(BACKOFF_MAX_MS) + " ×" + BACKOFF_RETRIES;
            case EXPONENTIAL_DECAY_RETRY -> {
                StringBuilder line = new StringBuilder(policy + ": REQ ");
                for (int retry = 1; retry <= DECAY_GROWING; retry++) {
                    line.append(Durations.format(delayFor(retry))).append(", ");
                }
                yield line.append(Durations.format(DECAY_LAST_MS)).append(" ×").append(DECAY_RETRIES - DECAY_GROWING)
                        .toString();
            }
        };
    }
}
