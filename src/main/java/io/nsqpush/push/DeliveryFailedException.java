package io.nsqpush.push;

/**
 * One request that did not deliver the message, as the retry model sees it. The route's retry policy, the
 * dead-letter decision, the metrics and the dead-letter record all read it.
 */
public class DeliveryFailedException extends Exception {

    /** What a failure says about the endpoint and the message. */
    public enum Kind {
        /**
         * The endpoint is away (refused, timed out, 502, 503, 504, 429): the subscription pauses rather than spend the
         * message's attempts, and such a failure never dead-letters a message while the subscription is paused.
         */
        UNAVAILABLE,
        /** The endpoint answered and rejected this message: retried, requeued, dead-lettered after max attempts. */
        REJECTED,
        /** A status of dead-letter-on: this message can never succeed, it is dead-lettered at once. */
        PERMANENT
    }

    private final Kind kind;
    private final int status;
    private final long retryAfterMillis;

    /**
     * @param status           the HTTP status, or -1 when no answer came
     * @param retryAfterMillis the pause the endpoint asked for (Retry-After, capped), 0 when none
     * @param reason           one line: {@code HTTP 503 Service Unavailable}, {@code connection refused}, ...
     */
    public DeliveryFailedException(Kind kind, int status, long retryAfterMillis, String reason, Throwable cause) {
        super(reason, cause, false, false);
        this.kind = kind;
        this.status = status;
        this.retryAfterMillis = retryAfterMillis;
    }

    public Kind kind() {
        return kind;
    }

    /** @return the HTTP status, or -1 when no answer came */
    public int status() {
        return status;
    }

    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    /** @return the delivery failure in an exchange's exception or its causes, or null */
    public static DeliveryFailedException in(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DeliveryFailedException delivery) {
                return delivery;
            }
        }
        return null;
    }
}
