package io.nsqpush.push;

/** The header names of CMQ's push requests, and the one NSQ header the formats read besides the consumer's own. */
public final class CmqHeaders {

    /** Out: unique for each HTTP request, a retry included. */
    public static final String REQUEST_ID = "x-cmq-request-id";
    /** Out: the NSQ message ID as nsqd gave it (operators look it up in nsqd); stable across retries. */
    public static final String MESSAGE_ID = "x-cmq-message-id";
    /**
     * Out, SIMPLIFIED only: the NSQ topic, for a receiver of several topics on one URL (JSON has it as topicName). Not
     * one of CMQ's headers: an addition of nsq-push.
     */
    public static final String TOPIC_NAME = "x-cmq-topic-name";
    /** Out: the message's tags joined by {@code ", "}; absent when there are none. */
    public static final String MESSAGE_TAG = "x-cmq-message-tag";

    /** In, optional: tags set by an earlier route step (String {@code "a,b"} or a Collection of Strings). */
    public static final String NSQ_MESSAGE_TAG = "CamelNsqMessageTag";

    private CmqHeaders() {
    }
}
