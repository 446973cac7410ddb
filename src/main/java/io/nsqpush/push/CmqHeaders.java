package io.nsqpush.push;

/**
 * Header names the push step reads and writes. The NSQ ones repeat the {@code nsq:} component's values on purpose:
 * the formats must not depend on the component or the NSQ client.
 */
public final class CmqHeaders {

    /** Out: unique for each HTTP request, a retry included. */
    public static final String REQUEST_ID = "x-cmq-request-id";
    /** Out: the NSQ message ID, stable across retries (the receiver's dedupe key). */
    public static final String MESSAGE_ID = "x-cmq-message-id";
    /** Out: the message's tags joined by {@code ", "}; absent when there are none. */
    public static final String MESSAGE_TAG = "x-cmq-message-tag";

    /** In: the NSQ message ID (String, 16 characters). */
    public static final String NSQ_MESSAGE_ID = "CamelNsqMessageId";
    /** In: the publish time, ms since the epoch (Long). */
    public static final String NSQ_TIMESTAMP = "CamelNsqTimestamp";
    /** In: nsqd's delivery count (Integer, 1 on the first). */
    public static final String NSQ_ATTEMPTS = "CamelNsqAttempts";
    /** In: the topic the message came from. */
    public static final String NSQ_TOPIC = "CamelNsqTopic";
    /** In: the channel the message came from. */
    public static final String NSQ_CHANNEL = "CamelNsqChannel";
    /** In, optional: tags set by an earlier route step (String {@code "a,b"} or a Collection of Strings). */
    public static final String NSQ_MESSAGE_TAG = "CamelNsqMessageTag";

    /** Exchange property: the body as consumed, kept by the formatter for the dead-letter route. */
    public static final String ORIGINAL_BODY = "nsqPushOriginalBody";

    private CmqHeaders() {
    }
}
