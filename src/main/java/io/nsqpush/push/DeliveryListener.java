package io.nsqpush.push;

import org.apache.camel.Exchange;

/** Told about every HTTP request a subscription makes, for its metrics. Called on an I/O thread: be quick. */
public interface DeliveryListener {

    /**
     * @param endpoint    the URL, secrets masked
     * @param statusClass {@code 2xx}, {@code 4xx}, {@code 5xx}, {@code timeout}, {@code connect} or {@code other}
     * @param delivered   whether this request delivered the message
     */
    void requested(Exchange exchange, String endpoint, String statusClass, boolean delivered);

    /**
     * Before each request: how its endpoint paces its requests, so that metrics can read the rate and concurrency in
     * force. Called on the sending thread: be quick.
     */
    default void paced(Exchange exchange, PacingStatus pacing) {
    }
}
