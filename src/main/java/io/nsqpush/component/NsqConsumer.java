package io.nsqpush.component;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqMessage;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Consumes a topic's channel from every configured or discovered nsqd. Lifecycle only: the links to nsqd are
 * {@link NsqConsumerConnection}s, discovery is the {@link LookupdPoller}, what runs when and the RDY of each link is the
 * {@link ConsumerFlow}, and each message's run through the route and its answer to nsqd is an {@link NsqDelivery}.
 * Camel's graceful shutdown suspends first (RDY 0) and lets in-flight exchanges finish within its timeout; what still
 * runs after that is REQed at stop.
 */
public class NsqConsumer extends DefaultConsumer implements Suspendable {

    /**
     * How often the flow looks at probes, held messages and the window's rotation while it has any of them: the tick is
     * armed on the component's shared timer only then (see {@link ConsumerFlow#needsTick()}), never while idle.
     */
    static final long TICK_MILLIS = 100;

    private final NsqConfiguration configuration;
    private final RetrySchedule retrySchedule;
    private final LongAdder possibleDuplicates = new LongAdder();
    private final List<NsqConsumerConnection> connections = new CopyOnWriteArrayList<>();
    private ExecutorService workers;
    /** The component's timer, shared by all its consumers. */
    private ScheduledExecutorService scheduler;
    /** Whether a tick is armed: at most one at a time. */
    private final AtomicBoolean tickArmed = new AtomicBoolean();
    private volatile ScheduledFuture<?> nextTick;
    private NsqClientOptions options;
    private LookupdPoller lookupdPoller;
    private volatile ConsumerFlow flow;
    private volatile boolean accepting;

    public NsqConsumer(NsqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.configuration = endpoint.getConfiguration();
        this.retrySchedule = RetrySchedule.of(configuration, RetrySchedule.RANDOM);
    }

    @Override
    public NsqEndpoint getEndpoint() {
        return (NsqEndpoint) super.getEndpoint();
    }

    /** @return "topic/channel", for logs and thread names */
    public String subscription() {
        return configuration.getTopic() + "/" + configuration.getChannel();
    }

    NsqConfiguration configuration() {
        return configuration;
    }

    long requeueDelay(int attempts) {
        return retrySchedule.delayFor(attempts);
    }

    /** @return how this consumer retries a failed message (its REQ delays and dead-letter attempt) */
    public RetrySchedule retrySchedule() {
        return retrySchedule;
    }

    /** @return the connection holders, one per nsqd address */
    List<NsqConsumerConnection> connections() {
        return List.copyOf(connections);
    }

    /** @return the connections that are up and subscribed */
    List<NsqConsumerConnection> liveConnections() {
        return connections.stream().filter(NsqConsumerConnection::isConnected).toList();
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

    /** @return messages received and not yet answered: being processed, waiting for a worker, or held */
    public long getInFlight() {
        ConsumerFlow current = flow;
        return current == null ? 0 : current.outstanding();
    }

    /** @return bytes of the messages in flight (see maxInFlightBytes) */
    public long getInFlightBytes() {
        ConsumerFlow current = flow;
        return current == null ? 0 : current.inFlightBytes();
    }

    /** @return messages kept unanswered while the downstream is unavailable */
    public int getHeld() {
        ConsumerFlow current = flow;
        return current == null ? 0 : current.held();
    }

    /** @return true while the subscription is paused because its downstream is unavailable */
    public boolean isPaused() {
        ConsumerFlow current = flow;
        return current != null && current.isPaused();
    }

    /** @return how long the current pause has lasted in ms, 0 when running */
    public long getPausedMillis() {
        ConsumerFlow current = flow;
        return current == null || !current.isPaused() ? 0
                : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - current.backoff().pausedSinceNanos());
    }

    /** @return why the subscription paused last, or null */
    public String getPauseReason() {
        ConsumerFlow current = flow;
        return current == null ? null : current.backoff().reason();
    }

    /** @return how many times the subscription paused since the consumer started */
    public long getPauses() {
        ConsumerFlow current = flow;
        return current == null ? 0 : current.backoff().pauses();
    }

    /** @return probes of the current (or last) pause */
    public int getProbes() {
        ConsumerFlow current = flow;
        return current == null ? 0 : current.backoff().probes();
    }

    /** @return answers nsqd refused (E_FIN_FAILED …) plus FINs that a lost connection made impossible */
    public long getPossibleDuplicates() {
        long refused = connections.stream().mapToLong(NsqConsumerConnection::possibleDuplicates).sum();
        return refused + possibleDuplicates.sum();
    }

    /** Counts refusals of a connection that is gone, and FINs it made impossible, so that the total never goes down. */
    void addPossibleDuplicates(long count) {
        possibleDuplicates.add(count);
    }

    /**
     * Connects and subscribes while Camel is still starting the rest (route start comes last): the links are ready
     * when the route starts, so the first message comes sooner. Nothing flows before {@link #doStart()}: RDY stays 0.
     */
    @Override
    protected void doInit() throws Exception {
        super.doInit();
        open();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (flow == null) {
            open(); // started again after a stop
        }
        accepting = true;
        flow.rebalance();
    }

    private void open() {
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        if (configuration.getThreads() > 0) {
            workers = executors.newThreadPool(this, "NsqConsumer[" + subscription() + "]", workerProfile());
        }
        scheduler = getEndpoint().getComponent().timer();
        registerHealthCheck();
        options = configuration.toClientOptions();
        flow = new ConsumerFlow(this, workers);
        configuration.staticServers().forEach(address -> connectTo(address, true));
        if (!configuration.lookupdAddresses().isEmpty()) {
            NsqComponent component = getEndpoint().getComponent();
            lookupdPoller = new LookupdPoller(this, configuration.lookupdAddresses(), scheduler,
                    component.lookupd(configuration.getConnectTimeout(), configuration.getLookupdMaxBodySize()),
                    component.lookupdExecutor());
            lookupdPoller.start();
        }
    }

    /** @return whether messages may flow: started, not stopping (RDY stays 0 otherwise) */
    boolean isAccepting() {
        return accepting;
    }

    /**
     * With threads &gt; 0: threads that only live while messages are processed; an idle one is reused before another is
     * made, so the pool grows only with the real concurrency of a blocking route, up to threads (a message waits in
     * the queue when all are busy; RDY bounds what waits).
     */
    private ThreadPoolProfile workerProfile() {
        ThreadPoolProfile profile = new ThreadPoolProfile("NsqConsumer");
        profile.setPoolSize(configuration.getThreads());
        profile.setMaxPoolSize(configuration.getThreads());
        profile.setMaxQueueSize(-1);
        profile.setAllowCoreThreadTimeOut(true);
        profile.setKeepAliveTime(60L);
        profile.setTimeUnit(TimeUnit.SECONDS);
        profile.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort);
        return profile;
    }

    /**
     * The flow has something time-driven to do (a probe due, held messages, a starved or rotating window): a tick
     * comes in {@link #TICK_MILLIS}, unless one is armed already. The tick re-plans, and re-plans arm the next one.
     */
    void wantTick() {
        ScheduledExecutorService timer = scheduler;
        if (timer == null || !tickArmed.compareAndSet(false, true)) {
            return;
        }
        try {
            nextTick = timer.schedule(this::tick, TICK_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            tickArmed.set(false);
        }
    }

    private void tick() {
        tickArmed.set(false); // before the flow runs: what it plans may arm the next tick
        ConsumerFlow current = flow;
        if (current == null) {
            return;
        }
        try {
            current.tick();
        } catch (RuntimeException e) {
            getExceptionHandler().handleException("Flow control of " + subscription() + " failed", e);
            wantTick(); // whatever was due is still due
        }
    }

    /** @return where work the timer found runs (a probe): an I/O thread of the component, as messages do */
    java.util.concurrent.Executor ioExecutor() {
        return getEndpoint().getComponent().connector().group().next();
    }

    /**
     * @return the timers this subscription has armed now: its flow's tick and the auto-TOUCH sweep of each connection
     *         with messages in flight; 0 when idle
     */
    public int getTimersArmed() {
        int armed = tickArmed.get() ? 1 : 0;
        for (NsqConsumerConnection connection : connections) {
            armed += connection.isTouchSweepArmed() ? 1 : 0;
        }
        return armed;
    }

    /** Starts consuming from one more nsqd, unless already connected to it (a stopped connection does not count). */
    synchronized void connectTo(NsqAddress address, boolean configured) {
        if (flow != null && connections.stream().noneMatch(c -> c.address().equals(address) && !c.isStopped())) {
            NsqConsumerConnection connection = new NsqConsumerConnection(this, address, configured, options,
                    getEndpoint().getComponent().connector(), scheduler);
            connections.add(connection);
            connection.start();
        }
    }

    /**
     * lookupd no longer lists this nsqd. A live connection stays (go-nsq never drops one because lookupd forgot it:
     * lookupd and nsqd restarts make such blips); only reconnecting to it stops.
     */
    void forget(NsqAddress address) {
        for (NsqConsumerConnection connection : connections) {
            if (connection.address().equals(address) && !connection.isConfigured()) {
                connection.forget();
            }
        }
    }

    /** lookupd lists this nsqd again: a forgotten but still live connection is kept and reconnected if lost. */
    void relist(NsqAddress address) {
        for (NsqConsumerConnection connection : connections) {
            if (connection.address().equals(address)) {
                connection.listed();
            }
        }
    }

    /** A connection that will not come back (forgotten and lost): it no longer counts. */
    void removed(NsqConsumerConnection connection) {
        connections.remove(connection);
        rebalance();
    }

    /** A connection was lost: lookupd may know where the topic lives now (go-nsq asks it at once too). */
    void lost() {
        LookupdPoller poller = lookupdPoller;
        if (poller != null) {
            poller.pollSoon();
        }
    }

    /** Re-plans RDY after a connection came or went. */
    void rebalance() {
        if (!accepting) {
            return; // connected ahead of start: RDY 0 until the route starts
        }
        ConsumerFlow current = flow;
        if (current != null) {
            current.rebalance();
        }
    }

    /** Called on the event loop. */
    void onMessage(NsqMessage message) {
        ConsumerFlow current = flow;
        if (current == null) {
            message.requeue(0); // stopped meanwhile
            return;
        }
        current.arrived(message);
    }

    @Override
    protected void doStop() throws Exception {
        release();
        super.doStop();
    }

    /** Also when the route was initialized and never started: the links opened ahead of start are closed. */
    @Override
    protected void doShutdown() throws Exception {
        release();
        super.doShutdown();
    }

    private void release() {
        accepting = false;
        if (lookupdPoller != null) {
            lookupdPoller.stop();
            lookupdPoller = null;
        }
        connections.forEach(NsqConsumerConnection::stop);
        connections.clear();
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        // the timer is the component's: only this consumer's tick goes; a reconnect or lookupd poll still scheduled
        // finds its connection or poller stopped and does nothing
        scheduler = null;
        ScheduledFuture<?> tick = nextTick;
        if (tick != null) {
            tick.cancel(false);
        }
        tickArmed.set(false);
        if (workers != null) {
            executors.shutdownNow(workers);
            workers = null;
        }
        flow = null;
    }

    @Override
    protected void doSuspend() {
        flow.suspend();
    }

    @Override
    protected void doResume() {
        flow.resume();
    }

    /** Camel's consumers health-check repository asks every HealthCheckAware consumer for its check. */
    private void registerHealthCheck() {
        NsqConsumerHealthCheck check = new NsqConsumerHealthCheck(this, getRouteId());
        check.setEnabled(getEndpoint().getComponent().isHealthCheckConsumerEnabled());
        setHealthCheck(check);
    }
}
