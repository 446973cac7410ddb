package io.nsqpush.push;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Says why a dead letter could not be kept, for the dead-letter route's line, with the secrets of any URI in the
 * error masked (the destination may be any Camel URI, credentials included).
 */
public class KeepFailed implements Processor {

    @Override
    public void process(Exchange exchange) {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        exchange.setProperty(PushConstants.KEEP_ERROR, Redaction.failure(caught));
    }
}
