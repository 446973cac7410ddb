package io.nsqpush.nsq;

/** What a connection reports to its owner. Called on the connection's event loop: never block here. */
public interface NsqConnectionListener {

    /** A message arrived; it counts against RDY until it is finished or requeued. */
    void onMessage(NsqConnection connection, NsqMessage message);

    /** nsqd answered FIN/REQ/TOUCH with a non-fatal error: the message may be delivered again. */
    default void onNonFatalError(NsqConnection connection, NsqError error) {
    }

    /**
     * The connection is closed; its unanswered messages will be redelivered by nsqd.
     *
     * @param cause why, or {@code null} when it was closed on purpose
     */
    void onClose(NsqConnection connection, Throwable cause);
}
