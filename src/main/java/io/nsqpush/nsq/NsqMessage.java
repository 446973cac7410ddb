package io.nsqpush.nsq;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One message as nsqd delivered it. It is answered exactly once, by {@link #finish()} or {@link #requeue(long)}, on the
 * connection that delivered it; {@link #touch()} may be sent any number of times before that.
 */
public final class NsqMessage {

    private static final AtomicIntegerFieldUpdater<NsqMessage> ANSWERED =
            AtomicIntegerFieldUpdater.newUpdater(NsqMessage.class, "answered");

    private final String id;
    private final long timestampNanos;
    private final int attempts;
    private final byte[] body;
    private final MessageResponder responder;
    private volatile int answered;
    /** System.nanoTime() of the delivery. */
    private final long receivedNanos;
    /** System.nanoTime() of the delivery or of the last TOUCH; read by the auto-touch sweep. */
    volatile long lastTouchNanos;
    /** When nsqd takes the message back whatever we do (delivery + its max_msg_timeout): TOUCH cannot pass it. */
    volatile long deadlineNanos = Long.MAX_VALUE;
    /** The nsqd that delivered it, host:port. */
    volatile String source;
    /** Auto-TOUCH keeps the message alive until then, never past {@link #deadlineNanos}. */
    private volatile long keepAliveUntilNanos = Long.MAX_VALUE;

    NsqMessage(String id, long timestampNanos, int attempts, byte[] body, MessageResponder responder) {
        this.id = id;
        this.timestampNanos = timestampNanos;
        this.attempts = attempts;
        this.body = body;
        this.responder = responder;
        this.receivedNanos = System.nanoTime();
        this.lastTouchNanos = receivedNanos;
    }

    /** @return the 16-character message ID nsqd assigned */
    public String id() {
        return id;
    }

    /** @return when the message was published, in nanoseconds since the epoch (nsqd's clock) */
    public long timestampNanos() {
        return timestampNanos;
    }

    /** @return how many times nsqd has delivered this message, 1 on the first delivery */
    public int attempts() {
        return attempts;
    }

    /** @return the body; the array is the message's own, not a copy */
    public byte[] body() {
        return body;
    }

    /** @return the size of the frame that brought it: 4-byte size, 4-byte type, 26-byte header and the body */
    public long frameBytes() {
        return 8L + NsqFrameDecoder.MESSAGE_HEADER_SIZE + body.length;
    }

    /** @return the nsqd that delivered the message, as host:port */
    public String source() {
        return source;
    }

    /** @return System.nanoTime() when the message arrived */
    public long receivedNanos() {
        return receivedNanos;
    }

    /**
     * @return System.nanoTime() at which nsqd gives the message to someone else whatever we do (delivery plus nsqd's
     *         max_msg_timeout): an answer must go before it
     */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /**
     * Auto-TOUCH keeps this message alive until then and no longer, so that a stuck exchange does not hold it: nsqd
     * then delivers it again. Never past {@link #deadlineNanos()}, which nsqd enforces anyway.
     */
    public void keepAliveUntil(long nanos) {
        keepAliveUntilNanos = nanos;
    }

    /** @return whether auto-TOUCH should still keep the message alive at this time */
    boolean keepsAlive(long now) {
        return now - Math.min(keepAliveUntilNanos, deadlineNanos) < 0;
    }

    /** @return true once FIN or REQ was sent (or the connection was lost, so nsqd will redeliver) */
    public boolean isAnswered() {
        return answered != 0;
    }

    /** Sends FIN. @return false when the message was already answered, so nothing was sent */
    public boolean finish() {
        if (!ANSWERED.compareAndSet(this, 0, 1)) {
            return false;
        }
        responder.finish(this);
        return true;
    }

    /**
     * Sends REQ with the delay, clamped to 0 (a negative delay is a fatal error on nsqd).
     *
     * @return false when the message was already answered, so nothing was sent
     */
    public boolean requeue(long delayMillis) {
        if (!ANSWERED.compareAndSet(this, 0, 1)) {
            return false;
        }
        responder.requeue(this, Math.max(0, delayMillis));
        return true;
    }

    /** Sends TOUCH unless the message was already answered. */
    public void touch() {
        if (answered == 0) {
            lastTouchNanos = System.nanoTime();
            responder.touch(this);
        }
    }

    /**
     * The connection was lost before an answer, or nsqd delivered this message again: nsqd requeued it itself and
     * nothing may be sent for this delivery.
     */
    void abandon() {
        ANSWERED.compareAndSet(this, 0, 2);
    }

    @Override
    public String toString() {
        return "NsqMessage[id=" + id + ", attempts=" + attempts + ", bytes=" + body.length + "]";
    }
}
