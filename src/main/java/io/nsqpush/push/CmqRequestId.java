package io.nsqpush.push;

import java.util.UUID;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Sets a fresh {@code x-cmq-request-id}. Camel's redelivery re-runs only the HTTP step, not the formatter, so a route
 * runs this right before the HTTP call to give every request (each retry too) its own ID. The one place IDs are made.
 */
public class CmqRequestId implements Processor {

    /** @return a random UUID as 32 lower-case hex digits, no dashes (122 random bits: unique in practice) */
    public static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    @Override
    public void process(Exchange exchange) {
        exchange.getIn().setHeader(CmqHeaders.REQUEST_ID, newId());
    }
}
