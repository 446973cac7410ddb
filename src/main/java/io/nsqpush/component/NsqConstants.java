package io.nsqpush.component;

import org.apache.camel.spi.Metadata;

/** The headers the {@code nsq:} component sets on consumed messages and reads when publishing. */
public final class NsqConstants {

    @Metadata(label = "consumer", description = "The NSQ message ID (16 characters), stable across redeliveries.",
              javaType = "String")
    public static final String MESSAGE_ID = "CamelNsqMessageId";

    @Metadata(label = "consumer", description = "How many times nsqd has delivered the message, 1 on the first"
            + " delivery.", javaType = "Integer")
    public static final String ATTEMPTS = "CamelNsqAttempts";

    @Metadata(label = "consumer", description = "The last attempt of the consumer's retryPolicy (maxAttempts under"
            + " NSQ, 4 under BACKOFF_RETRY, 177 under EXPONENTIAL_DECAY_RETRY): when CamelNsqAttempts reaches it and the"
            + " exchange still fails, a route's error handler should dead-letter the message.", javaType = "Integer")
    public static final String MAX_ATTEMPTS = "CamelNsqMaxAttempts";

    @Metadata(label = "consumer", description = "When the message was published, in milliseconds since the epoch"
            + " (nsqd's clock).", javaType = "Long")
    public static final String TIMESTAMP = "CamelNsqTimestamp";

    @Metadata(label = "consumer", description = "The topic the message was consumed from.", javaType = "String")
    public static final String TOPIC = "CamelNsqTopic";

    @Metadata(label = "consumer", description = "The channel the message was consumed from.", javaType = "String")
    public static final String CHANNEL = "CamelNsqChannel";

    @Metadata(label = "consumer", description = "The nsqd the message came from (host:port). A producer without"
            + " servers publishes through it, as NSQ tools publish back to the nsqd they read from.",
              javaType = "String")
    public static final String ADDRESS = "CamelNsqAddress";

    @Metadata(label = "producer", description = "Publish with DPUB: nsqd delivers the message no earlier than this"
            + " many milliseconds from now (0 to nsqd's max-req-timeout, 1 h by default).", javaType = "Long")
    public static final String DEFER_MS = "CamelNsqDeferMs";

    /**
     * Exchange property (not a header): set it to {@code true} and the consumer REQs the message (with backoff) even
     * though the exchange completed; the same happens for an exchange marked rollback-only. The dead-letter route uses
     * it to send a message back to nsqd while attempts remain, without an exception to log.
     */
    public static final String REQUEUE = "CamelNsqRequeue";

    /**
     * Exchange property (not a header): the consumer's {@link NsqMessageControl} for the message, through which a route
     * reports an unavailable downstream (the subscription pauses instead of spending attempts) and holds a message.
     */
    public static final String CONTROL = "CamelNsqControl";

    private NsqConstants() {
    }
}
