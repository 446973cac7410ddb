package io.nsqpush.push;

import org.apache.camel.Exchange;
import org.apache.camel.spi.Metadata;

/**
 * The headers the {@code push:} producer reads and sets, and the exchange properties through which it and the
 * dead-letter route (routes/dead-letter.yaml) tell each other what happened. Every name is declared here once; a test
 * checks that the routes use no other.
 */
public final class PushConstants {

    @Metadata(label = "producer", description = "The HTTP status of the last answer (set after each request).",
              javaType = "Integer")
    public static final String RESPONSE_CODE = Exchange.HTTP_RESPONSE_CODE;

    @Metadata(label = "producer", description = "Tags for x-cmq-message-tag: a String \"a,b\" or a Collection;"
            + " overrides the tags option.", javaType = "Object")
    public static final String MESSAGE_TAG = CmqHeaders.NSQ_MESSAGE_TAG;

    @Metadata(label = "producer", description = "The message's dedupe key (webhook-id, msg_ and 22 base64url"
            + " characters) when it is known already, e.g. from a dead-letter record (DeadLetterReplay sets it); else"
            + " push: derives it from the NSQ headers. Never sent as an HTTP header.", javaType = "String")
    public static final String DEDUPE_KEY = DedupeKey.HEADER;

    // --------------------------------------------------------------------------------- exchange properties

    /** Set (true) when the endpoint took the message. */
    public static final String DELIVERED = "nsqPushDelivered";
    /** Set (true) on a message that the sample option left unsent: it completes without a request. */
    public static final String SKIPPED = "nsqPushSkipped";
    /** The URL of the last request, its secrets masked: for log lines and the dead-letter record. */
    public static final String ENDPOINT = "nsqPushEndpoint";
    /** The dead-letter route: the HTTP status of the last failure, when it had one (Integer). */
    public static final String LAST_STATUS = "nsqPushLastStatus";
    /** The dead-letter route: the last failure in one line, secrets masked. */
    public static final String LAST_ERROR = "nsqPushLastError";
    /** The dead-letter route: the first characters of the body, for its log line. */
    public static final String BODY_EXCERPT = "nsqPushBodyExcerpt";
    /** The dead-letter route: what happens to the message now ({@link DeliveryFailure.Outcome}). */
    public static final String OUTCOME = "nsqPushOutcome";
    /** A route's own place for its dead letters (a Camel URI); the dead-letter route falls back to its default. */
    public static final String DEAD_LETTER_URI = "nsqPushDeadLetterUri";
    /** The dead-letter route: the URI dead letters are kept at, secrets masked, for its log lines. */
    public static final String DEAD_LETTER_MASKED = "nsqPushDeadLetterMasked";
    /** The dead-letter route: why a dead letter could not be kept, secrets masked. */
    public static final String KEEP_ERROR = "nsqPushKeepError";

    private PushConstants() {
    }
}
