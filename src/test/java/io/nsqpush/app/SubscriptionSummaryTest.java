package io.nsqpush.app;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SubscriptionSummaryTest {

    private static String plan(String redeliveries, String maxAttempts, String requeueDelay, String maxRequeueDelay) {
        SubscriptionSummary summary = new SubscriptionSummary();
        summary.setRedeliveries(redeliveries);
        summary.setRedeliveryDelay("500ms");
        summary.setMaxAttempts(maxAttempts);
        summary.setRequeueDelay(requeueDelay);
        summary.setMaxRequeueDelay(maxRequeueDelay);
        return summary.retryPlan();
    }

    @Test
    void theRetryPlanListsEachDelayTheConsumerWillUse() {
        assertEquals("redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s", plan("2", "5", "10s", "15m"));
        assertEquals("redeliveries 0, then REQ 1m, 2m, 2m", plan("0", "4", "1m", "2m"));
        assertEquals("redeliveries 0", plan("0", "1", "10s", "15m"));
    }

    @Test
    void delaysAtTheirCapAreWrittenOnceWithACountSoThatTheLineStaysShort() {
        assertEquals("redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s, 2m40s, 5m20s, 10m40s, 15m ×92",
                plan("2", "100", "10s", "15m"));
        // a REQ delay above nsqd's limit is what the consumer clamps it to
        assertEquals("redeliveries 0, then REQ 1h ×3", plan("0", "4", "2h", "3h"));
    }
}
