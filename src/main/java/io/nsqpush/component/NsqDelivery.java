package io.nsqpush.component;

import io.nsqpush.nsq.NsqMessage;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.spi.SynchronizationVetoable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One run of one message through the route: turns it into an exchange and answers nsqd once the exchange is done,
 * exactly once, wherever the exchange went. As a {@link SynchronizationVetoable} the answer follows the exchange when a
 * route hands it to another (seda:, vm:, ...), so the message is answered when that copy is done, not when the original
 * returns. A held message (the downstream is away) gets no answer: the consumer keeps it and runs it again later.
 */
final class NsqDelivery implements NsqMessageControl, SynchronizationVetoable {

    private static final Logger LOG = LoggerFactory.getLogger(NsqDelivery.class);

    private final NsqConsumer consumer;
    private final ConsumerFlow flow;
    private final NsqMessage message;
    private final boolean probe;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile boolean handedOver;
    private volatile boolean held;
    private volatile long startNanos;

    NsqDelivery(NsqConsumer consumer, ConsumerFlow flow, NsqMessage message, boolean probe) {
        this.consumer = consumer;
        this.flow = flow;
        this.message = message;
        this.probe = probe;
    }

    NsqMessage message() {
        return message;
    }

    /** Runs the message through the route; called on a worker thread. */
    void run() {
        if (message.isAnswered()) {
            // its connection was lost while it waited: nsqd has requeued it, running it now would duplicate it
            flow.finished(this);
            return;
        }
        if (!consumer.isRunAllowed() || consumer.isSuspendingOrSuspended()) {
            // taken from nsqd just before RDY 0 reached it: give it back rather than start what shutdown may cut off
            message.requeue(0);
            flow.finished(this);
            return;
        }
        NsqConfiguration configuration = consumer.configuration();
        startNanos = System.nanoTime();
        message.keepAliveUntil(startNanos + TimeUnit.MILLISECONDS.toNanos(configuration.getMaxProcessingTime()));
        Exchange exchange;
        try {
            exchange = consumer.createExchange(false);
        } catch (RuntimeException e) {
            message.requeue(consumer.requeueDelay(message.attempts()));
            flow.finished(this);
            consumer.getExceptionHandler().handleException("Cannot create an exchange for NSQ message " + message.id(),
                    e);
            return;
        }
        Message in = exchange.getMessage();
        in.setBody(message.body());
        in.setHeader(NsqConstants.MESSAGE_ID, message.id());
        in.setHeader(NsqConstants.ATTEMPTS, message.attempts());
        in.setHeader(NsqConstants.MAX_ATTEMPTS, consumer.retrySchedule().maxAttempts());
        long timestampMillis = TimeUnit.NANOSECONDS.toMillis(message.timestampNanos());
        in.setHeader(NsqConstants.TIMESTAMP, timestampMillis);
        in.setHeader(Exchange.MESSAGE_TIMESTAMP, timestampMillis);
        in.setHeader(NsqConstants.TOPIC, configuration.getTopic());
        in.setHeader(NsqConstants.CHANNEL, configuration.getChannel());
        in.setHeader(NsqConstants.ADDRESS, message.source());
        exchange.setProperty(NsqConstants.CONTROL, this);
        exchange.getExchangeExtension().addOnCompletion(this);
        consumer.getAsyncProcessor().process(exchange, doneSync -> {
            if (!done.get() && !handedOver) {
                // the unit of work never ran (e.g. rejected while stopping): answer here so nothing hangs
                LOG.debug("Exchange for {} ended without its completion: requeueing", message.id());
                answer(exchange, true);
            }
            consumer.releaseExchange(exchange, false);
        });
    }

    @Override
    public void onComplete(Exchange exchange) {
        boolean requeue = exchange.isRollbackOnly()
                || exchange.getProperty(NsqConstants.REQUEUE, false, Boolean.class);
        answer(exchange, requeue);
    }

    @Override
    public void onFailure(Exchange exchange) {
        answer(exchange, true);
    }

    /** FIN, REQ or hold: exactly once, whichever of the exchange's ends comes first. */
    private void answer(Exchange exchange, boolean failed) {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        if (held) {
            flow.held(this);
            return;
        }
        if (failed) {
            long delay = consumer.requeueDelay(message.attempts());
            if (message.requeue(delay) && LOG.isDebugEnabled()) {
                LOG.debug("Requeued {} on {} (attempt {}) for {} ms: {}", message.id(), consumer.subscription(),
                        message.attempts(), delay, exchange.getException() == null ? "failed"
                                : exchange.getException().getMessage());
            }
        } else if (!message.finish()) {
            // the connection was lost first: nsqd will deliver this message again
            consumer.addPossibleDuplicates(1);
            LOG.debug("Could not FIN {} on {}: connection lost, nsqd will redeliver it", message.id(),
                    consumer.subscription());
        }
        flow.finished(this);
    }

    // ------------------------------------------------------------------------------------- NsqMessageControl

    @Override
    public boolean downstreamUnavailable(long pauseMillis, String reason) {
        return flow.downstreamUnavailable(this, pauseMillis, reason);
    }

    @Override
    public void downstreamAvailable() {
        flow.downstreamAvailable(this);
    }

    @Override
    public boolean mayDeliver() {
        return flow.mayDeliver(this);
    }

    @Override
    public boolean hold() {
        if (!flow.isPaused()) {
            return false;
        }
        held = true;
        return true;
    }

    @Override
    public void keepAliveFor(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        message.keepAliveUntil(Math.min(until, startNanos + TimeUnit.MILLISECONDS.toNanos(
                consumer.configuration().getMaxProcessingTime())));
    }

    @Override
    public boolean isProbe() {
        return probe;
    }

    // ------------------------------------------------------------------------------ SynchronizationVetoable

    @Override
    public boolean allowHandover() {
        return true;
    }

    @Override
    public void beforeHandover(Exchange target) {
        handedOver = true;
    }

    @Override
    public String toString() {
        return "NsqDelivery[" + message.id() + (probe ? ", probe" : "") + "]";
    }
}
