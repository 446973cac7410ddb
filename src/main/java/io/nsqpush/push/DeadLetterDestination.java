package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.nsq.NsqNames;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Where a dead letter is kept (the dead-letter route's first word on it): the route's own place (the exchange property
 * {@value PushConstants#DEAD_LETTER_URI}, or the route property {@value #ROUTE_PROPERTY}, which a subscription's
 * deadLetterUri sets), else the bridge's
 * {@code dead-letter.uri} (this bean's uri), else the NSQ topic {@code <topic>.dead-letter} on the nsqd the message
 * came from, as NSQ's own tools publish back to the nsqd they read from.
 */
public class DeadLetterDestination implements Processor {

    static final String SUFFIX = ".dead-letter";
    /** The route property a route names its own place for dead letters with (the template's deadLetterUri). */
    public static final String ROUTE_PROPERTY = "deadLetterUri";

    private String uri = "";

    @Override
    public void process(Exchange exchange) {
        String own = exchange.getProperty(PushConstants.DEAD_LETTER_URI, String.class);
        if (own == null || own.isBlank()) {
            org.apache.camel.Route route = exchange.getContext().getRoute(exchange.getFromRouteId());
            Object property = route == null ? null : route.getProperties().get(ROUTE_PROPERTY);
            own = property == null ? null : property.toString();
        }
        String chosen = own != null && !own.isBlank() ? own.trim() : !uri.isBlank() ? uri
                : of(exchange.getMessage().getHeader(NsqConstants.TOPIC, String.class),
                exchange.getMessage().getHeader(NsqConstants.ADDRESS, String.class));
        exchange.setProperty(PushConstants.DEAD_LETTER_URI, chosen);
        exchange.setProperty(PushConstants.DEAD_LETTER_MASKED, Redaction.uri(chosen));
    }

    /**
     * @param source the nsqd the message came from (host:port), or null
     * @return the default place for the topic's dead letters
     * @throws InvalidValueException when {@code <topic>.dead-letter} is not a valid NSQ topic
     */
    public static String of(String topic, String source) {
        String deadTopic = topic + SUFFIX;
        if (topic == null || !NsqNames.isValid(deadTopic) || topic.endsWith("#ephemeral")) {
            throw new InvalidValueException("deadLetterUri", "", "is empty, and the default topic '" + deadTopic
                    + "' is not a valid NSQ topic", "a Camel URI, e.g. file:dead-letters (the default"
                    + " <topic>.dead-letter needs a topic of at most 52 characters, not ephemeral)");
        }
        return "nsq:" + deadTopic + (source == null || source.isBlank() ? "" : "?servers=" + source);
    }

    public String getUri() {
        return uri;
    }

    /** @param uri the bridge-wide place for dead letters (dead-letter.uri), or empty for the default */
    public void setUri(String uri) {
        this.uri = uri == null ? "" : uri.trim();
    }
}
