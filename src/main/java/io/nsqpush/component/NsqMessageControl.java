package io.nsqpush.component;

/**
 * The consumer's handle on one message, on every exchange as the property {@link NsqConstants#CONTROL} (as camel-kafka
 * hands routes a manual-commit handle). A route uses it to tell the consumer what its downstream is doing, so that an
 * outage pauses the whole subscription instead of spending every message's attempts:
 * <ul>
 *   <li>{@link #downstreamUnavailable} after a request the downstream could not take (refused, timed out, 503, ...);
 *   requests for two different messages with no success in between, or a requested pause (Retry-After), pause the
 *   subscription: RDY 0 on every connection, then one probe message at a time;</li>
 *   <li>{@link #downstreamAvailable} after any answer that shows the downstream works (2xx, or a rejection of this
 *   message such as 400 or 500): a paused subscription resumes;</li>
 *   <li>{@link #mayDeliver} before a request: false while paused, unless this message is the probe;</li>
 *   <li>{@link #hold} when the exchange gives up on an unavailable downstream: the consumer keeps the message (TOUCHed,
 *   unanswered, no attempt spent) and processes it again when the subscription probes or resumes.</li>
 * </ul>
 * Thread-safe.
 */
public interface NsqMessageControl {

    /**
     * @param pauseMillis a pause the downstream asked for (Retry-After), or 0
     * @param reason      one line for the log and the status, e.g. {@code connection refused}
     * @return true when the subscription is paused (now or already)
     */
    boolean downstreamUnavailable(long pauseMillis, String reason);

    /** The downstream answered a request for this message in a way that shows it works. */
    void downstreamAvailable();

    /** @return true when a request for this message may go out now: the subscription runs, or this is its probe */
    boolean mayDeliver();

    /**
     * @return true when the consumer keeps the message: the exchange must end without a requeue or a dead letter
     *         (its outcome is ignored); false when the subscription is not paused and the failure takes its usual
     *         course
     */
    boolean hold();

    /**
     * Auto-TOUCH keeps the message alive this long from now and no longer (never past the consumer's maxProcessingTime
     * or nsqd's max_msg_timeout): a route that knows how long its work can take says so, and a stuck exchange then
     * lets nsqd deliver the message again instead of holding it.
     */
    void keepAliveFor(long millis);

    /** @return true when this delivery is the probe of a paused subscription */
    boolean isProbe();
}
