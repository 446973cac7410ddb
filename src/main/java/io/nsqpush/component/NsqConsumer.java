package io.nsqpush.component;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqConnection;
import io.nsqpush.nsq.NsqMessage;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.spi.Synchronization;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Consumes a topic's channel from every configured nsqd: one exchange per message, processed on a worker pool of
 * maxInFlight threads so the event loop never waits. The exchange's completion answers nsqd: FIN when it succeeded,
 * REQ with an exponential delay when it failed, was marked rollback-only or carries the {@code CamelNsqRequeue}
 * property. Camel's graceful shutdown suspends first (RDY 0) and lets in-flight exchanges finish within its timeout;
 * what still runs after that is REQed at stop, so a delivery under way then may be POSTed again later. Suspending (and Camel's graceful shutdown, which suspends first) sets
 * RDY 0 so that in-flight exchanges can still finish on live connections.
 */
public class NsqConsumer extends DefaultConsumer implements Suspendable {

    private static final Logger LOG = LoggerFactory.getLogger(NsqConsumer.class);

    private final NsqConfiguration configuration;
    private final RequeueBackoff requeueBackoff;
    private final LongAdder possibleDuplicates = new LongAdder();
    private final LongAdder inFlight = new LongAdder();
    /** Messages received and not yet answered or dropped, wherever they are (queued for a worker or processing). */
    private final java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger();
    private final List<NsqConsumerConnection> connections = new CopyOnWriteArrayList<>();
    private ExecutorService workers;
    private ScheduledExecutorService scheduler;
    private NsqClientOptions options;
    private LookupdPoller lookupdPoller;
    private volatile boolean paused;
    /** Some connection is below its RDY share, waiting for the others to drain. */
    private volatile boolean starved;

    public NsqConsumer(NsqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.configuration = endpoint.getConfiguration();
        this.requeueBackoff = new RequeueBackoff(configuration.getRequeueDelay(), configuration.getMaxRequeueDelay());
    }

    @Override
    public NsqEndpoint getEndpoint() {
        return (NsqEndpoint) super.getEndpoint();
    }

    /** @return "topic/channel", for logs and thread names */
    String subscription() {
        return configuration.getTopic() + "/" + configuration.getChannel();
    }

    NsqConfiguration configuration() {
        return configuration;
    }

    /** @return the connection holders, one per nsqd address */
    List<NsqConsumerConnection> connections() {
        return List.copyOf(connections);
    }

    /**
     * @return true while every known nsqd (configured or found by lookupd) has a live, subscribed connection; with
     *         lookupd and no producer of the topic yet there is nothing to be connected to, which is fine
     */
    public boolean isConnected() {
        if (connections.isEmpty()) {
            return lookupdPoller != null && lookupdPoller.hasAnswered();
        }
        return connections.stream().allMatch(NsqConsumerConnection::isConnected);
    }

    /** @return exchanges started and not yet answered */
    public long getInFlight() {
        return inFlight.sum();
    }

    /** @return answers nsqd refused (E_FIN_FAILED …) plus FINs that a lost connection made impossible */
    public long getPossibleDuplicates() {
        long refused = connections.stream().mapToLong(NsqConsumerConnection::possibleDuplicates).sum();
        return refused + possibleDuplicates.sum();
    }

    /** Counts refusals of a connection that is gone, so that the total never goes down. */
    void addPossibleDuplicates(long count) {
        possibleDuplicates.add(count);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        int maxInFlight = configuration.getMaxInFlight();
        // RDY bounds what is queued to maxInFlight, so the queue is unbounded and never rejects
        ThreadPoolProfile profile = new ThreadPoolProfile("NsqConsumer");
        profile.setPoolSize(maxInFlight);
        profile.setMaxPoolSize(maxInFlight);
        profile.setMaxQueueSize(-1);
        profile.setAllowCoreThreadTimeOut(true);
        profile.setKeepAliveTime(60L);
        profile.setTimeUnit(TimeUnit.SECONDS);
        profile.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort);
        workers = executors.newThreadPool(this, "NsqConsumer[" + subscription() + "]", profile);
        scheduler = executors.newSingleThreadScheduledExecutor(this, "NsqReconnect[" + subscription() + "]");
        registerHealthCheck();

        options = configuration.toClientOptions();
        paused = false;
        configuration.staticServers().forEach(this::connectTo);
        if (!configuration.lookupdAddresses().isEmpty()) {
            lookupdPoller = new LookupdPoller(this, configuration.lookupdAddresses(), scheduler,
                    executors.newCachedThreadPool(this, "NsqLookupd[" + subscription() + "]"));
            lookupdPoller.start();
        }
    }

    /** Starts consuming from one more nsqd, unless already connected to it. */
    synchronized void connectTo(NsqAddress address) {
        if (isRunAllowed() && connections.stream().noneMatch(c -> c.address().equals(address))) {
            NsqConsumerConnection connection = new NsqConsumerConnection(this, address, options,
                    getEndpoint().getComponent().connector(), scheduler);
            connections.add(connection);
            connection.start();
        }
    }

    /**
     * Lets go of an nsqd that lookupd no longer lists: RDY 0 at once, then the link closes when what it delivered is
     * answered (or after one msg timeout, when the rest is requeued).
     */
    void retire(NsqAddress address) {
        // not under this consumer's lock: the connection takes its own lock, and calls back into rebalanceReady
        for (NsqConsumerConnection connection : connections) {
            if (connection.address().equals(address) && connections.remove(connection)) {
                connection.retire(configuration.getMsgTimeout());
                rebalanceReady();
            }
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (lookupdPoller != null) {
            lookupdPoller.stop();
            lookupdPoller = null;
        }
        connections.forEach(NsqConsumerConnection::stop);
        connections.clear();
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        if (scheduler != null) {
            executors.shutdownNow(scheduler);
        }
        if (workers != null) {
            executors.shutdownNow(workers);
        }
        super.doStop();
    }

    @Override
    protected synchronized void doSuspend() {
        paused = true;
        rebalanceReady();
    }

    @Override
    protected synchronized void doResume() {
        paused = false;
        rebalanceReady();
    }

    /**
     * Splits maxInFlight over the live connections as go-nsq does, each a share of max(1, maxInFlight / n) (the
     * remainder one each to the first), but never lets the sum of what nsqd may have in flight exceed maxInFlight: a
     * connection's worst case is max(in flight, RDY), so a newcomer's RDY grows only as the others drain; while one is
     * below its share every answer calls this again. With more connections than maxInFlight each simply gets RDY 1.
     */
    synchronized void rebalanceReady() {
        List<NsqConsumerConnection> live = connections.stream().filter(NsqConsumerConnection::isConnected).toList();
        if (live.isEmpty()) {
            starved = false;
            return;
        }
        int maxInFlight = configuration.getMaxInFlight();
        int n = live.size();
        int[] share = new int[n];
        for (int i = 0; i < n; i++) {
            share[i] = paused ? 0 : Math.max(1, maxInFlight / n + (i < maxInFlight % n ? 1 : 0));
            if (n > maxInFlight || live.get(i).readyCount() > share[i]) {
                live.get(i).ready(share[i]); // lowering is always safe
            }
        }
        if (n > maxInFlight) {
            starved = false;
            return;
        }
        // messages still being processed whose connection is gone count too: they hold workers
        int orphans = outstanding.get();
        int free = maxInFlight;
        for (NsqConsumerConnection c : live) {
            orphans -= c.inFlight();
            free -= Math.max(c.inFlight(), c.readyCount());
        }
        free -= Math.max(0, orphans);
        boolean below = false;
        for (int i = 0; i < n; i++) {
            NsqConsumerConnection c = live.get(i);
            int ready = c.readyCount();
            if (ready < share[i]) {
                int worstCase = Math.max(c.inFlight(), ready);
                int target = Math.min(share[i], worstCase + Math.max(0, free));
                if (target > ready) {
                    c.ready(target);
                    free -= Math.max(c.inFlight(), target) - worstCase;
                }
                below |= target < share[i];
            }
        }
        starved = below;
    }

    /** Called on the event loop: hand the message to a worker at once. */
    void onMessage(NsqMessage message) {
        outstanding.incrementAndGet();
        try {
            workers.execute(() -> process(message));
        } catch (RejectedExecutionException e) {
            // stopping: nsqd redelivers what we never answer, sooner if we say so
            message.requeue(0);
            done();
        }
    }

    /** A message received from nsqd is no longer being worked on. */
    private void done() {
        outstanding.decrementAndGet();
        if (starved) {
            rebalanceReady();
        }
    }

    private void process(NsqMessage message) {
        if (message.isAnswered()) {
            // its connection was lost while it waited: nsqd has requeued it, delivering it now would duplicate it
            done();
            return;
        }
        if (paused || !isRunAllowed()) {
            // taken from nsqd just before RDY 0 reached it: give it back rather than start what shutdown may cut off
            message.requeue(0);
            done();
            return;
        }
        Exchange exchange;
        try {
            exchange = createExchange(false);
        } catch (RuntimeException e) {
            message.requeue(requeueBackoff.delayFor(message.attempts()));
            done();
            throw e;
        }
        Message in = exchange.getMessage();
        in.setBody(message.body());
        in.setHeader(NsqConstants.MESSAGE_ID, message.id());
        in.setHeader(NsqConstants.ATTEMPTS, message.attempts());
        in.setHeader(NsqConstants.MAX_ATTEMPTS, configuration.getMaxAttempts());
        long timestampMillis = TimeUnit.NANOSECONDS.toMillis(message.timestampNanos());
        in.setHeader(NsqConstants.TIMESTAMP, timestampMillis);
        in.setHeader(Exchange.MESSAGE_TIMESTAMP, timestampMillis);
        in.setHeader(NsqConstants.TOPIC, configuration.getTopic());
        in.setHeader(NsqConstants.CHANNEL, configuration.getChannel());
        exchange.getExchangeExtension().addOnCompletion(new Answer(message));
        inFlight.increment();
        getAsyncProcessor().process(exchange, doneSync -> {
            if (!message.isAnswered()) {
                // the unit of work never ran (e.g. rejected while stopping): answer here so nothing hangs
                LOG.debug("Exchange for {} ended without its completion callback: requeueing", message.id());
                inFlight.decrement();
                message.requeue(requeueBackoff.delayFor(message.attempts()));
                done();
            }
            releaseExchange(exchange, false);
        });
    }

    /** Answers nsqd once the exchange is done: FIN on success, REQ with backoff on failure. */
    private final class Answer implements Synchronization {

        private final NsqMessage message;

        Answer(NsqMessage message) {
            this.message = message;
        }

        @Override
        public void onComplete(Exchange exchange) {
            if (exchange.isRollbackOnly() || exchange.getProperty(NsqConstants.REQUEUE, false, Boolean.class)) {
                onFailure(exchange);
                return;
            }
            inFlight.decrement();
            boolean finished = message.finish();
            done();
            if (!finished) {
                // the connection was lost first: nsqd will deliver this message again
                possibleDuplicates.increment();
                LOG.debug("Could not FIN {} on {}: connection lost, nsqd will redeliver it", message.id(),
                        subscription());
            }
        }

        @Override
        public void onFailure(Exchange exchange) {
            inFlight.decrement();
            long delay = requeueBackoff.delayFor(message.attempts());
            boolean requeued = message.requeue(delay);
            done();
            if (requeued && LOG.isDebugEnabled()) {
                LOG.debug("Requeued {} on {} (attempt {} of {}) for {} ms: {}", message.id(), subscription(),
                        message.attempts(), configuration.getMaxAttempts(), delay,
                        exchange.getException() == null ? "failed" : exchange.getException().getMessage());
            }
        }
    }

    /** Camel's consumers health-check repository asks every HealthCheckAware consumer for its check. */
    private void registerHealthCheck() {
        NsqConsumerHealthCheck check = new NsqConsumerHealthCheck(this, getRouteId());
        check.setEnabled(getEndpoint().getComponent().isHealthCheckConsumerEnabled());
        setHealthCheck(check);
    }
}
