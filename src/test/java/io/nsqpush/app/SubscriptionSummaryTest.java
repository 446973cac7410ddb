package io.nsqpush.app;

import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.push.PushRedelivery;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SubscriptionSummaryTest {

    private static String plan(String redeliveries, int maxAttempts, long requeueDelay, long maxRequeueDelay) {
        PushRedelivery policy = new PushRedelivery();
        policy.setRedeliveries(redeliveries);
        policy.setFirstDelay("500ms");
        NsqConfiguration source = new NsqConfiguration();
        source.setMaxAttempts(maxAttempts);
        source.setRequeueDelay(requeueDelay);
        source.setMaxRequeueDelay(maxRequeueDelay);
        return SubscriptionSummary.retryPlan(policy, source);
    }

    @Test
    void theRetryPlanListsEachDelayTheConsumerWillUse() {
        assertEquals("redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s", plan("2", 5, 10_000, 900_000));
        assertEquals("redeliveries 0, then REQ 1m, 2m, 2m", plan("0", 4, 60_000, 120_000));
        assertEquals("redeliveries 0", plan("0", 1, 10_000, 900_000));
    }

    @Test
    void delaysAtTheirCapAreWrittenOnceWithACountSoThatTheLineStaysShort() {
        assertEquals("redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s, 2m40s, 5m20s, 10m40s, 15m ×92",
                plan("2", 100, 10_000, 900_000));
        // a REQ delay above nsqd's limit is what the consumer clamps it to
        assertEquals("redeliveries 0, then REQ 1h ×3", plan("0", 4, 7_200_000, 10_800_000));
    }

    @Test
    void redeliveryDelaysDoubleUpToCamelsCap() {
        PushRedelivery policy = new PushRedelivery();
        policy.setRedeliveries("9");
        policy.setFirstDelay("10s");
        NsqConfiguration source = new NsqConfiguration();
        source.setMaxAttempts(1);
        assertEquals("redeliveries 9 (10s, 20s, 40s, 1m ×6)", SubscriptionSummary.retryPlan(policy, source));
    }

    @Test
    void aCmqPolicyIsNamedWithItsDelays() {
        PushRedelivery policy = new PushRedelivery();
        policy.setRedeliveries("0");
        NsqConfiguration source = new NsqConfiguration();
        source.setRetryPolicy("BACKOFF_RETRY");
        assertEquals("redeliveries 0, then BACKOFF_RETRY: REQ 10s-20s ×3", SubscriptionSummary.retryPlan(policy, source));
        source.setRetryPolicy("EXPONENTIAL_DECAY_RETRY");
        assertEquals("redeliveries 0, then EXPONENTIAL_DECAY_RETRY: REQ 1s, 2s, 4s, 8s, 16s, 32s, 1m4s, 2m8s, 4m16s,"
                + " 8m32s ×167", SubscriptionSummary.retryPlan(policy, source));
    }
}
