package io.nsqpush.push;

import org.apache.camel.Exchange;

import java.util.Collection;
import java.util.List;

/**
 * Told about every HTTP request a subscription makes: its metrics and its delivery log. Called on an I/O thread: be
 * quick. The {@code push:} producer tells every listener in the registry ({@link #of}).
 */
public interface DeliveryListener {

    /**
     * One HTTP request and what came of it.
     *
     * @param endpoint      the URL, secrets masked
     * @param statusClass   {@code 2xx}, {@code 4xx}, {@code 5xx}, {@code timeout}, {@code connect}, {@code protocol},
     *                      {@code queue} or {@code other}
     * @param status        the HTTP status, or -1 when there was no answer
     * @param delivered     whether this request delivered the message
     * @param latencyMillis from sending the request to its answer or failure
     * @param error         why it did not deliver (e.g. {@code HTTP 500 Internal Server Error}), or null
     * @param dedupeKey     the message's {@link DedupeKey}, its requests' webhook-id
     */
    record Request(String endpoint, String statusClass, int status, boolean delivered, long latencyMillis,
                   String error, String dedupeKey) {
    }

    void requested(Exchange exchange, Request request);

    /**
     * Before each request: how its endpoint paces its requests, so that metrics can read the rate and concurrency in
     * force. Called on the sending thread: be quick.
     */
    default void paced(Exchange exchange, PacingStatus pacing) {
    }

    /** @return one listener that tells each of these, in turn; null for none */
    static DeliveryListener of(Collection<? extends DeliveryListener> listeners) {
        List<DeliveryListener> all = listeners == null ? List.of() : List.copyOf(listeners);
        if (all.isEmpty()) {
            return null;
        }
        if (all.size() == 1) {
            return all.get(0);
        }
        return new DeliveryListener() {
            @Override
            public void requested(Exchange exchange, Request request) {
                for (DeliveryListener listener : all) {
                    listener.requested(exchange, request);
                }
            }

            @Override
            public void paced(Exchange exchange, PacingStatus pacing) {
                for (DeliveryListener listener : all) {
                    listener.paced(exchange, pacing);
                }
            }
        };
    }
}
