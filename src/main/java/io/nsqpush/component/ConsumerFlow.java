package io.nsqpush.component;

import io.nsqpush.config.Durations;
import io.nsqpush.nsq.NsqMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A consumer's flow control: which arriving message runs now, which waits, and what RDY each nsqd connection gets.
 * Messages run on the thread that received them unless the consumer has worker threads.
 * It joins the {@link ReadyWindow} (the split of maxInFlight), the {@link SubscriptionBackoff} (pause while the
 * downstream is unavailable, probe with one message at a time) and the held messages: those that met an unavailable
 * downstream, kept unanswered and TOUCHed (no attempt spent) until the subscription probes or resumes, or until they
 * must go back to nsqd before its max_msg_timeout takes them.
 */
final class ConsumerFlow {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerFlow.class);
    /** A held message goes back to nsqd this long before nsqd's max_msg_timeout would take it anyway. */
    private static final long HAND_BACK_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final NsqConsumer consumer;
    private final ExecutorService workers;
    private final ReadyWindow window;
    private final ByteBudget budget;
    private final SubscriptionBackoff backoff;
    private final Deque<NsqMessage> held = new ArrayDeque<>();
    /** Messages received and not yet answered or given back, wherever they are (queued, processing, held). */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** The probe under way, or null. */
    private NsqDelivery probe;
    /** Probing with no held message: the next message to arrive (RDY 1 on one connection) is the probe. */
    private boolean probeWanted;
    private boolean suspended;
    private volatile boolean starved;
    /** More live connections than the window: RDY 1 moves between them (go-nsq's redistribution). */
    private boolean rotating;

    ConsumerFlow(NsqConsumer consumer, ExecutorService workers) {
        this.consumer = consumer;
        this.workers = workers;
        NsqConfiguration configuration = consumer.configuration();
        this.window = new ReadyWindow(configuration.getMaxInFlight());
        this.budget = new ByteBudget(configuration.maxInFlightBytes(), configuration.getMaxInFlight());
        this.backoff = new SubscriptionBackoff(configuration.getBackoffDelay(), configuration.getMaxBackoffDelay(),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /** A message arrived (on the event loop): run it, or keep it while the subscription is paused. */
    void arrived(NsqMessage message) {
        outstanding.incrementAndGet();
        if (budget.add(message.frameBytes())) {
            // nsqd acted on RDY granted before these bytes came: stop reading until they are freed
            LOG.debug("{} holds {} bytes in flight, over its budget of {}: RDY 0 and not reading until some are"
                    + " answered", consumer.subscription(), budget.inFlight(), budget.budget());
            rebalance();
        }
        NsqDelivery delivery;
        synchronized (this) {
            if (!suspended && backoff.isRunning()) {
                delivery = new NsqDelivery(consumer, this, message, false);
            } else if (!suspended && probeWanted && probe == null) {
                probeWanted = false;
                delivery = probe = new NsqDelivery(consumer, this, message, true);
                rebalance(); // the probe is here: no further message until its outcome
            } else if (suspended) {
                delivery = null;
            } else {
                keep(message);
                return;
            }
        }
        if (delivery == null) {
            // taken from nsqd just before RDY 0 reached it: give it back at once
            message.requeue(0);
            released(message);
            return;
        }
        dispatch(delivery);
    }

    /** A message received is no longer ours to keep (answered, given back, or lost with its connection). */
    private void released(NsqMessage message) {
        outstanding.decrementAndGet();
        if (budget.release(message.frameBytes())) {
            rebalance();
        }
    }

    /** Runs the message through the route: right here (an I/O thread, by default) or on a worker. */
    private void dispatch(NsqDelivery delivery) {
        if (workers == null) {
            delivery.run();
            return;
        }
        try {
            workers.execute(delivery::run);
        } catch (RejectedExecutionException stopping) {
            // nsqd redelivers what we never answer, sooner if we say so
            delivery.message().requeue(0);
            finished(delivery);
        } catch (Error e) {
            delivery.message().requeue(0);
            finished(delivery);
            consumer.getExceptionHandler().handleException("Cannot hand NSQ message " + delivery.message().id()
                    + " to a worker", e);
        }
    }

    /** A delivery is over and its message answered (or lost with its connection). */
    void finished(NsqDelivery delivery) {
        released(delivery.message());
        synchronized (this) {
            if (delivery == probe) {
                probe = null;
                // the probe ended with neither an answer from the downstream nor a hold: probe again
                backoff.probeLost(System.nanoTime());
                consumer.wantTick();
            }
        }
        if (starved) {
            rebalance();
        }
    }

    /** The exchange gave up on an unavailable downstream and the message is kept (see {@link NsqDelivery#hold()}). */
    void held(NsqDelivery delivery) {
        NsqDelivery again = null;
        boolean giveBack = false;
        synchronized (this) {
            boolean wasProbe = delivery == probe;
            if (wasProbe) {
                probe = null;
            }
            if (suspended) {
                giveBack = true; // as suspend() does with what it found held: nothing waits out a shutdown
            } else if (backoff.isRunning()) {
                // resumed while this exchange was finishing: run it again at once
                again = new NsqDelivery(consumer, this, delivery.message(), false);
            } else {
                keep(delivery.message());
                if (wasProbe) {
                    // the same message probes again next time: one message, one attempt, however long the outage
                    held.addFirst(held.pollLast());
                }
            }
        }
        if (giveBack) {
            delivery.message().requeue(0);
            released(delivery.message());
        } else if (again != null) {
            dispatch(again);
        }
    }

    /** Keeps a message unanswered: TOUCHed until it must go back to nsqd. */
    private void keep(NsqMessage message) {
        message.keepAliveUntil(handBackAt(message));
        held.addLast(message);
        consumer.wantTick(); // to hand it back in time
    }

    private static long handBackAt(NsqMessage message) {
        long deadline = message.deadlineNanos();
        long margin = Math.min(HAND_BACK_MARGIN_NANOS, (deadline - message.receivedNanos()) / 10);
        return deadline - margin;
    }

    boolean downstreamUnavailable(NsqDelivery delivery, long pauseMillis, String reason) {
        SubscriptionBackoff.Change change = backoff.unavailable(delivery.message().id(), pauseMillis, reason,
                delivery.isProbe(), System.nanoTime());
        if (change == SubscriptionBackoff.Change.PAUSED) {
            LOG.warn("Pausing {}: its endpoint looks unavailable ({}); probing it with one message after {}",
                    consumer.subscription(), reason,
                    Durations.format(Math.max(0, TimeUnit.NANOSECONDS.toMillis(backoff.probeAtNanos() - System.nanoTime()))));
            rebalance();
        }
        return !backoff.isRunning();
    }

    void downstreamAvailable(NsqDelivery delivery) {
        long pausedSince = backoff.pausedSinceNanos();
        int probes = backoff.probes();
        if (backoff.succeeded(System.nanoTime()) == SubscriptionBackoff.Change.RESUMED) {
            LOG.info("Resuming {}: its endpoint answers again after {} paused and {} probes", consumer.subscription(),
                    Durations.format(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedSince)), probes);
            List<NsqDelivery> again = new ArrayList<>();
            synchronized (this) {
                NsqMessage message;
                while ((message = held.pollFirst()) != null) {
                    if (!message.isAnswered()) {
                        again.add(new NsqDelivery(consumer, this, message, false));
                    } else {
                        released(message);
                    }
                }
                probeWanted = false;
            }
            again.forEach(this::dispatch);
            rebalance();
        }
    }

    /** Running, or the probe while its probe is under way (a failed probe waits for the next one, no redelivery). */
    boolean mayDeliver(NsqDelivery delivery) {
        if (backoff.isRunning()) {
            return true;
        }
        synchronized (this) {
            return delivery == probe && backoff.state() == SubscriptionBackoff.State.PROBING;
        }
    }

    boolean isPaused() {
        return !backoff.isRunning();
    }

    /**
     * Whether time alone can change what the flow must do: a probe to send, held messages to hand back, a window that
     * waits for a lowered RDY to settle or rotates over more connections than it has. False for an idle, running
     * subscription: it then has no timer at all.
     */
    synchronized boolean needsTick() {
        return !backoff.isRunning() || probeWanted || probe != null || !held.isEmpty() || starved || rotating;
    }

    /** Called by the consumer's tick while {@link #needsTick()}: probes when due, hands back, rotates the window. */
    void tick() {
        long now = System.nanoTime();
        NsqDelivery next = null;
        List<NsqMessage> handBack = new ArrayList<>();
        synchronized (this) {
            for (Iterator<NsqMessage> it = held.iterator(); it.hasNext(); ) {
                NsqMessage message = it.next();
                if (message.isAnswered() || now - handBackAt(message) >= 0) {
                    it.remove();
                    handBack.add(message);
                }
            }
            if (!suspended && backoff.startProbe(now)) {
                NsqMessage message = held.pollFirst();
                if (message != null) {
                    next = probe = new NsqDelivery(consumer, this, message, true);
                } else {
                    probeWanted = true;
                }
            }
        }
        for (NsqMessage message : handBack) {
            // nsqd's max_msg_timeout is near: give it back rather than let nsqd time it out
            if (message.requeue(consumer.requeueDelay(message.attempts()))) {
                LOG.debug("Held {} for as long as nsqd allows: requeued it", message.id());
            }
            released(message);
        }
        if (next != null) {
            LOG.debug("Probing the endpoint of {} with {}", consumer.subscription(), next.message().id());
            dispatchOffTimer(next);
        }
        rebalance();
    }

    /** As {@link #dispatch}, but never on the timer, which all consumers of the component share. */
    private void dispatchOffTimer(NsqDelivery delivery) {
        if (workers != null) {
            dispatch(delivery);
            return;
        }
        try {
            consumer.ioExecutor().execute(() -> dispatch(delivery));
        } catch (RejectedExecutionException stopping) {
            delivery.message().requeue(0);
            finished(delivery);
        }
    }

    /** Camel suspends the consumer (graceful shutdown): RDY 0, and held messages go back to nsqd at once. */
    void suspend() {
        List<NsqMessage> back;
        synchronized (this) {
            suspended = true;
            back = new ArrayList<>(held);
            held.clear();
        }
        for (NsqMessage message : back) {
            message.requeue(0);
            released(message);
        }
        rebalance();
    }

    void resume() {
        synchronized (this) {
            suspended = false;
        }
        rebalance();
    }

    /** Gives every live connection the RDY the window, the back-off and suspension allow now. */
    synchronized void rebalance() {
        List<NsqConsumerConnection> live = consumer.liveConnections();
        ReadyWindow.Mode mode;
        if (suspended || !consumer.isAccepting() || backoff.state() == SubscriptionBackoff.State.PAUSED) {
            mode = ReadyWindow.Mode.PAUSED;
        } else if (backoff.state() == SubscriptionBackoff.State.PROBING) {
            mode = probeWanted && probe == null ? ReadyWindow.Mode.PROBE : ReadyWindow.Mode.PAUSED;
        } else {
            mode = ReadyWindow.Mode.RUNNING;
        }
        List<ReadyWindow.Link> links = new ArrayList<>(live.size());
        int onLinks = 0;
        boolean reading = !budget.isOver();
        for (NsqConsumerConnection connection : live) {
            connection.reading(reading);
            ReadyWindow.Link link = connection.link();
            onLinks += link.inFlight();
            links.add(link);
        }
        ReadyWindow.Plan plan = window.plan(links, outstanding.get() - onLinks, mode, System.nanoTime(),
                budget.window());
        // lower before raising: the windows together stay within maxInFlight while the commands travel
        for (int i = 0; i < live.size(); i++) {
            if (plan.ready()[i] < links.get(i).ready()) {
                live.get(i).ready(plan.ready()[i]);
            }
        }
        for (int i = 0; i < live.size(); i++) {
            if (plan.ready()[i] > links.get(i).ready()) {
                live.get(i).ready(plan.ready()[i]);
            }
        }
        starved = plan.starved();
        rotating = live.size() > budget.window();
        if (needsTick()) {
            consumer.wantTick();
        }
    }

    // ------------------------------------------------------------------------------------- state, for metrics

    int outstanding() {
        return outstanding.get();
    }

    long inFlightBytes() {
        return budget.inFlight();
    }

    boolean overBudget() {
        return budget.isOver();
    }

    int held() {
        synchronized (this) {
            return held.size();
        }
    }

    SubscriptionBackoff backoff() {
        return backoff;
    }
}
