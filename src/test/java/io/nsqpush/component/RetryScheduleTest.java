package io.nsqpush.component;

import io.nsqpush.component.RetrySchedule.Policy;
import io.nsqpush.config.InvalidValueException;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryScheduleTest {

    /** A message that always fails, run on a clock of our own: when each attempt happens, until the dead letter. */
    private record Run(List<Long> attemptAtMillis, List<Long> delays, long deadLetterAtMillis) {
    }

    private static Run run(RetrySchedule schedule) {
        long clock = 0;
        List<Long> times = new ArrayList<>();
        List<Long> delays = new ArrayList<>();
        for (int attempts = 1; ; attempts++) {
            times.add(clock); // nsqd delivers it with this attempts counter, the endpoint fails it
            if (attempts >= schedule.maxAttempts()) {
                return new Run(times, delays, clock);
            }
            long delay = schedule.delayFor(attempts); // REQ <id> <delay>: nsqd delivers it again after that
            delays.add(delay);
            clock += delay;
        }
    }

    /** Hands out the given draws in order and records the bounds each was asked for. */
    private static final class ScriptedJitter implements RetrySchedule.Jitter {
        final Deque<Long> draws;
        final List<long[]> asked = new ArrayList<>();

        ScriptedJitter(Long... draws) {
            this.draws = new ArrayDeque<>(List.of(draws));
        }

        @Override
        public long between(long minMillis, long maxMillis) {
            asked.add(new long[] {minMillis, maxMillis});
            return draws.removeFirst();
        }
    }

    @Test
    void backoffRetryIsThreeRetriesEachAfterTenToTwentySecondsThenTheDeadLetter() {
        ScriptedJitter jitter = new ScriptedJitter(10_000L, 20_000L, 14_321L);
        RetrySchedule schedule = RetrySchedule.of(Policy.BACKOFF_RETRY, 10_000, 900_000, 5, jitter);
        assertEquals(4, schedule.maxAttempts(), "the first delivery and 3 retries");
        Run run = run(schedule);
        assertEquals(List.of(10_000L, 20_000L, 14_321L), run.delays());
        assertEquals(List.of(0L, 10_000L, 30_000L, 44_321L), run.attemptAtMillis());
        assertEquals(44_321L, run.deadLetterAtMillis());
        assertEquals(3, jitter.asked.size());
        for (long[] bounds : jitter.asked) {
            assertEquals(10_000, bounds[0]);
            assertEquals(20_000, bounds[1]);
        }
        assertEquals(20_000, schedule.longestDelay());
    }

    @Test
    void backoffRetryWithTheRealJitterStaysWithinTenToTwentySecondsAndReachesBothEnds() {
        SplittableRandom random = new SplittableRandom(19);
        RetrySchedule schedule = RetrySchedule.of(Policy.BACKOFF_RETRY, 0, 900_000, 1,
                (min, max) -> random.nextLong(min, max + 1));
        long least = Long.MAX_VALUE;
        long most = Long.MIN_VALUE;
        for (int i = 0; i < 200_000; i++) {
            long delay = schedule.delayFor(1 + i % 3);
            least = Math.min(least, delay);
            most = Math.max(most, delay);
        }
        assertEquals(10_000, least);
        assertEquals(20_000, most);
        // the consumer's own jitter, the same bounds
        for (int i = 0; i < 10_000; i++) {
            long delay = RetrySchedule.RANDOM.between(10_000, 20_000);
            assertTrue(delay >= 10_000 && delay <= 20_000, "drew " + delay);
        }
    }

    @Test
    void exponentialDecayRetryIs176RetriesOverADay() {
        RetrySchedule schedule = RetrySchedule.of(Policy.EXPONENTIAL_DECAY_RETRY, 10_000, 900_000, 5, null);
        assertEquals(177, schedule.maxAttempts());
        Run run = run(schedule);
        List<Long> expected = new ArrayList<>(List.of(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 32_000L, 64_000L,
                128_000L, 256_000L));
        while (expected.size() < 176) {
            expected.add(512_000L);
        }
        assertEquals(expected, run.delays(), "every one of the 176 delays");
        assertEquals(176 - 9, run.delays().stream().filter(d -> d == 512_000L).count());
        // 511 s of doubling, then 167 × 512 s: the last retry 23 h 53 m 35 s after the first delivery
        assertEquals((511 + 167 * 512) * 1000L, run.deadLetterAtMillis());
        assertEquals(List.of(0L, 1_000L, 3_000L, 7_000L, 15_000L), run.attemptAtMillis().subList(0, 5));
        assertEquals(511_000L, run.attemptAtMillis().get(9), "the 10th attempt, after 1+2+...+256 s");
        assertEquals(1_023_000L, run.attemptAtMillis().get(10));
        assertEquals(512_000, schedule.longestDelay());
        assertEquals(512_000, schedule.delayFor(500), "past the schedule (a dead letter not kept) the last repeats");
    }

    @Test
    void nsqIsTodaysDoublingBackoffAndMaxAttempts() {
        RetrySchedule schedule = RetrySchedule.of(Policy.NSQ, 10_000, 60_000, 5, (min, max) -> {
            throw new AssertionError("NSQ draws nothing");
        });
        assertEquals(5, schedule.maxAttempts());
        Run run = run(schedule);
        assertEquals(List.of(10_000L, 20_000L, 40_000L, 60_000L), run.delays());
        assertEquals(List.of(0L, 10_000L, 30_000L, 70_000L, 130_000L), run.attemptAtMillis());
        assertNull(schedule.describe(), "the start-up line lists NSQ's delays one by one");
    }

    @Test
    void namesAreCmqsAndTheDefaultIsNsq() {
        assertEquals(Policy.NSQ, RetrySchedule.policy(null));
        assertEquals(Policy.NSQ, RetrySchedule.policy(""));
        assertEquals(Policy.BACKOFF_RETRY, RetrySchedule.policy("backoff_retry"));
        assertEquals(Policy.EXPONENTIAL_DECAY_RETRY, RetrySchedule.policy("EXPONENTIAL_DECAY_RETRY"));
        assertEquals("BACKOFF_RETRY: REQ 10s-20s ×3",
                RetrySchedule.of(Policy.BACKOFF_RETRY, 0, 0, 1, null).describe());
        assertEquals("EXPONENTIAL_DECAY_RETRY: REQ 1s, 2s, 4s, 8s, 16s, 32s, 1m4s, 2m8s, 4m16s, 8m32s ×167",
                RetrySchedule.of(Policy.EXPONENTIAL_DECAY_RETRY, 0, 0, 1, null).describe());
    }

    @Test
    void aMaxRequeueDelayBelowTheLongestDelayRefusesTheCmqPolicy() {
        NsqConfiguration.checkRetryPolicy("retryPolicy", "EXPONENTIAL_DECAY_RETRY", "maxRequeueDelay", 512_000);
        NsqConfiguration.checkRetryPolicy("retryPolicy", "BACKOFF_RETRY", "maxRequeueDelay", 20_000);
        NsqConfiguration.checkRetryPolicy("retryPolicy", "NSQ", "maxRequeueDelay", 0);
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> NsqConfiguration.checkRetryPolicy(
                "push.retry-policy", "EXPONENTIAL_DECAY_RETRY", "push.max-requeue-delay", 300_000));
        assertEquals("push.retry-policy 'EXPONENTIAL_DECAY_RETRY' REQs with delays up to 8m32s, above"
                + " push.max-requeue-delay (5m, set it to nsqd's --max-req-timeout when that is lower than 1h):"
                + " allowed NSQ, or push.max-requeue-delay of at least 8m32s", e.getMessage());
        assertThrows(InvalidValueException.class, () -> NsqConfiguration.checkRetryPolicy("retryPolicy",
                "BACKOFF_RETRY", "maxRequeueDelay", 19_999));
    }
}
