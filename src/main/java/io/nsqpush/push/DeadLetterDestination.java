package io.nsqpush.push;

import io.nsqpush.config.InvalidValueException;
import io.nsqpush.nsq.NsqNames;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Where a subscription keeps its dead letters: the configured Camel URI, or by default the NSQ topic
 * {@code <topic>.dead-letter} published through the subscription's nsqd addresses, or without them through the nsqd
 * each message came from (the nsq: producer's choice). A template bean: the URI is worked out once when the route is
 * made; each message only gets it as the exchange property the dead-letter route sends to.
 */
public class DeadLetterDestination extends ServiceSupport implements Processor {

    /** Exchange property: the URI the dead-letter route keeps the record at. */
    public static final String PROPERTY = "nsqPushDeadLetterUri";
    /** Exchange property: the same URI with its secrets masked, for log lines. */
    public static final String MASKED = "nsqPushDeadLetterMasked";
    static final String SUFFIX = ".dead-letter";

    private String uri = "";
    private String topic = "";
    private String servers = "";
    private String lookupd = "";
    private String effective;
    private String masked;

    /** Started with its route: a default that cannot work stops the route before any message is taken. */
    @Override
    protected void doStart() {
        uri();
    }

    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(PROPERTY, uri());
        exchange.setProperty(MASKED, masked);
    }

    /**
     * @return the URI dead letters go to
     * @throws InvalidValueException when the default topic name would not be a valid NSQ topic
     */
    public String uri() {
        if (effective == null) {
            effective = of(uri, topic, servers, lookupd);
            masked = Redaction.uri(effective);
        }
        return effective;
    }

    /** @return the configured URI, or the default one for the topic */
    public static String of(String configured, String topic, String servers, String lookupd) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String deadTopic = topic + SUFFIX;
        if (!NsqNames.isValid(deadTopic) || topic.endsWith("#ephemeral")) {
            throw new InvalidValueException("deadLetterUri", "", "is empty, and the default topic '" + deadTopic
                    + "' is not a valid NSQ topic", "a Camel URI, e.g. file:dead-letters (the default"
                    + " <topic>.dead-letter needs a topic of at most 52 characters, not ephemeral)");
        }
        StringBuilder uri = new StringBuilder("nsq:").append(deadTopic);
        char separator = '?';
        if (servers != null && !servers.isBlank()) {
            uri.append(separator).append("servers=").append(servers.trim());
            separator = '&';
        }
        if (lookupd != null && !lookupd.isBlank()) {
            uri.append(separator).append("lookupd=").append(lookupd.trim());
        }
        return uri.toString();
    }

    public void setUri(String uri) {
        this.uri = uri == null ? "" : uri;
        this.effective = null;
    }

    public void setTopic(String topic) {
        this.topic = topic == null ? "" : topic;
        this.effective = null;
    }

    public void setServers(String servers) {
        this.servers = servers == null ? "" : servers;
        this.effective = null;
    }

    public void setLookupd(String lookupd) {
        this.lookupd = lookupd == null ? "" : lookupd;
        this.effective = null;
    }
}
