package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqMessageControl;
import io.nsqpush.config.OptionRange;
import io.nsqpush.config.Options;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.Predicate;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.apache.camel.spi.Metadata;

/**
 * The redelivery policy for a route that ends in {@code push:} (its dead-letter channel's
 * {@code redeliveryPolicyRef}): up to {@code redeliveries} quick re-POSTs within one NSQ attempt, the first after
 * {@code firstDelay}, doubling, without a blocked thread; but none for a message the endpoint can never take
 * (deadLetterOn), none when the endpoint asked for a pause (Retry-After), and none while the subscription is paused
 * (the message is held for the probe instead). A route may use it as it is:
 * {@code redeliveryPolicyRef: "#class:io.nsqpush.push.PushRedelivery"}.
 */
public class PushRedelivery extends RedeliveryPolicy {

    /** The declarations below, read once (the bridge's push.redeliveries and push.redelivery-delay follow them). */
    public static final Options OPTIONS = Options.of(PushRedelivery.class);
    /** Camel's default maximumRedeliveryDelay: no redelivery waits longer. */
    public static final long MAX_DELAY_MILLIS = 60_000L;

    @Metadata(defaultValue = "2", description = "Quick re-POSTs within one attempt, the first after firstDelay,"
            + " doubling")
    @OptionRange(min = "0", max = "100")
    private int redeliveries;
    @Metadata(defaultValue = "500ms", javaType = "java.time.Duration", description = "Delay before the first"
            + " in-process redelivery")
    @OptionRange(min = "0", max = "1h")
    private long firstDelay;

    public PushRedelivery() {
        OPTIONS.applyDefaults(this);
        setUseExponentialBackOff(true);
        setBackOffMultiplier(2);
        setAsyncDelayedRedelivery(true);
        setRetryAttemptedLogLevel(LoggingLevel.DEBUG);
        setLogExhausted(false);
        setLogStackTrace(false);
        apply();
    }

    @Override
    public boolean shouldRedeliver(Exchange exchange, int redeliveryCounter, Predicate retryWhile) {
        if (!super.shouldRedeliver(exchange, redeliveryCounter, retryWhile)) {
            return false;
        }
        // the error handler keeps the failure there while it decides
        DeliveryFailedException failure = DeliveryFailedException.in(
                exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class));
        if (failure != null && (failure.kind() == DeliveryFailedException.Kind.PERMANENT
                || failure.retryAfterMillis() > 0)) {
            return false;
        }
        NsqMessageControl control = exchange.getProperty(NsqConstants.CONTROL, NsqMessageControl.class);
        return control == null || control.mayDeliver();
    }

    public int getRedeliveries() {
        return redeliveries;
    }

    /** @param redeliveries 0..100, as text (a template parameter) */
    public void setRedeliveries(String redeliveries) {
        this.redeliveries = (int) OPTIONS.get("redeliveries").parse("redeliveries", redeliveries);
        apply();
    }

    public long getFirstDelay() {
        return firstDelay;
    }

    /** @param firstDelay a duration such as 500ms, as text (a template parameter) */
    public void setFirstDelay(String firstDelay) {
        this.firstDelay = (Long) OPTIONS.get("firstDelay").parse("redeliveryDelay", firstDelay);
        apply();
    }

    private void apply() {
        setMaximumRedeliveries(redeliveries);
        setRedeliveryDelay(firstDelay);
    }

    /** The longest one attempt can take: every request timing out, and the redelivery delays (capped at 60 s). */
    public static long attemptMillis(long requestMillis, long redeliveries, long firstDelayMillis) {
        long total = (redeliveries + 1) * requestMillis;
        long delay = firstDelayMillis;
        for (long i = 0; i < redeliveries; i++) {
            total += Math.min(delay, MAX_DELAY_MILLIS);
            delay = Math.min(delay * 2, MAX_DELAY_MILLIS);
        }
        return total;
    }
}
