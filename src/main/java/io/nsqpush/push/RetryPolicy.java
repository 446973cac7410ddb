package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqMessageControl;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The push route's in-process redelivery rule (its error handler's retryWhile): re-POST up to {@code redeliveries}
 * times, but not a message the endpoint can never take (dead-letter-on), not when the endpoint asked for a pause
 * (Retry-After), and not while the subscription is paused: then the message is held for the probe instead. A template
 * bean, one per subscription.
 */
public class RetryPolicy implements Predicate {

    private int redeliveries = 2;

    @Override
    public boolean matches(Exchange exchange) {
        int counter = exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class);
        if (counter > redeliveries) {
            return false;
        }
        // the error handler keeps the failure there; YAML's retryWhileRef calls us as a bean, without the exception
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
        this.redeliveries = (int) io.nsqpush.config.Range.whole(0, 100).parse("redeliveries", redeliveries);
    }
}
