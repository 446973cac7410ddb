package io.nsqpush.component;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqConnection;
import io.nsqpush.nsq.NsqConnectionListener;
import io.nsqpush.nsq.NsqConnector;
import io.nsqpush.nsq.NsqMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A consumer's link to one nsqd: connects, subscribes, and after any loss reconnects with exponential backoff and
 * jitter until the consumer stops, or, for an nsqd found by lookupd, until every lookupd has forgotten it. An outage is
 * logged once at WARN when it starts and once at INFO when it ends.
 */
final class NsqConsumerConnection implements NsqConnectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(NsqConsumerConnection.class);

    private final NsqConsumer consumer;
    private final NsqAddress address;
    /** Configured by hand (servers), not found by lookupd: never forgotten. */
    private final boolean configured;
    private final NsqClientOptions options;
    private final NsqConnector connector;
    private final ScheduledExecutorService scheduler;
    private volatile NsqConnection connection;
    private volatile boolean stopped;
    /** No lookupd lists it any more: kept while live, not reconnected once lost. */
    private volatile boolean forgotten;
    private volatile String lastError;
    /** The highest RDY lowered within {@link ReadyWindow#SETTLE_NANOS} of the last lowering (guarded by this). */
    private int loweredFrom;
    private long loweredAtNanos = System.nanoTime() - ReadyWindow.SETTLE_NANOS;
    /** When to try again (guarded by this). */
    private final ReconnectBackoff backoff;
    private long outageStartNanos;

    NsqConsumerConnection(NsqConsumer consumer, NsqAddress address, boolean configured, NsqClientOptions options,
                          NsqConnector connector, ScheduledExecutorService scheduler) {
        this.consumer = consumer;
        this.address = address;
        this.configured = configured;
        this.options = options;
        this.connector = connector;
        this.scheduler = scheduler;
        NsqConfiguration configuration = consumer.configuration();
        this.backoff = new ReconnectBackoff(configuration.getReconnectDelay(), configuration.getMaxReconnectDelay(),
                configuration.getMaxReconnectDelay(), () -> ThreadLocalRandom.current().nextDouble());
    }

    NsqAddress address() {
        return address;
    }

    boolean isConfigured() {
        return configured;
    }

    /** @return whether this connection is done for good (stopped, or lost after lookupd forgot its nsqd) */
    boolean isStopped() {
        return stopped;
    }

    boolean isConnected() {
        NsqConnection c = connection;
        return c != null && c.isActive();
    }

    /** @return why the last attempt or the last connection failed, or null */
    String lastError() {
        return lastError;
    }

    boolean isTouchSweepArmed() {
        NsqConnection c = connection;
        return c != null && c.isTouchSweepArmed();
    }

    long possibleDuplicates() {
        NsqConnection c = connection;
        return c == null ? 0 : c.possibleDuplicates();
    }

    /** @return this link as the RDY window sees it */
    synchronized ReadyWindow.Link link() {
        NsqConnection c = connection;
        if (c == null) {
            return new ReadyWindow.Link(0, 0, 0);
        }
        int reach = System.nanoTime() - loweredAtNanos < ReadyWindow.SETTLE_NANOS ? loweredFrom : 0;
        return new ReadyWindow.Link(c.inFlight(), c.readyCount(), reach, c.lastMessageNanos());
    }

    void start() {
        connect();
    }

    /** Stops for good: RDY 0 and CLS, what is still unanswered is REQed, then the socket closes. */
    void stop() {
        NsqConnection c;
        synchronized (this) {
            stopped = true;
            c = connection;
            connection = null;
        }
        if (c != null) {
            // outside the lock: closing calls onClose on the event loop.
            // RDY 0 and CLS first (nsqd answers CLOSE_WAIT), so that what is requeued next is not sent straight back
            c.ready(0);
            c.startClose().orTimeout(1, TimeUnit.SECONDS).exceptionally(e -> null).join();
            int requeued = c.requeueUnanswered();
            if (requeued > 0) {
                LOG.warn("Stopping {} with {} messages unanswered: requeued them on nsqd {}", consumer.subscription(),
                        requeued, address);
            }
            consumer.addPossibleDuplicates(c.possibleDuplicates());
            c.close().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    /** Every lookupd forgot this nsqd: keep a live connection, but do not reconnect once it is lost. */
    void forget() {
        boolean gone;
        synchronized (this) {
            forgotten = true;
            gone = connection == null;
            if (gone) {
                stopped = true; // a reconnect under way or scheduled ends here
            }
        }
        if (gone) {
            LOG.info("nsqd {} is no longer listed by lookupd for {}: not reconnecting", address,
                    consumer.subscription());
            consumer.removed(this);
        }
    }

    /** lookupd lists this nsqd again. */
    void listed() {
        forgotten = false;
    }

    /** Reads from the socket or stops (the consumer's bytes in flight are over their budget). */
    void reading(boolean on) {
        NsqConnection c = connection;
        if (c != null) {
            c.reading(on);
        }
    }

    synchronized void ready(int count) {
        NsqConnection c = connection;
        if (c != null && c.readyCount() != count) {
            int before = c.readyCount();
            if (count < before) {
                // nsqd may act on the old RDY until the new one reaches it: remember the highest for a while
                long now = System.nanoTime();
                boolean settled = now - loweredAtNanos >= ReadyWindow.SETTLE_NANOS;
                loweredFrom = settled ? before : Math.max(loweredFrom, before);
                loweredAtNanos = now;
            }
            c.ready(count);
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        NsqConfiguration configuration = consumer.configuration();
        connector.connect(address, options, this)
                .thenCompose(c -> c.subscribe(configuration.getTopic(), configuration.getChannel()).thenApply(v -> c))
                .whenComplete((c, error) -> {
                    if (error != null) {
                        onConnectFailed(error instanceof CompletionException ? error.getCause() : error);
                    } else {
                        onConnected(c);
                    }
                });
    }

    private void onConnected(NsqConnection c) {
        synchronized (this) {
            if (stopped) {
                c.close();
                return;
            }
            connection = c;
            lastError = null;
            if (backoff.connected(System.nanoTime())) {
                LOG.info("Reconnected to nsqd {} for {} after {} ms", address, consumer.subscription(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStartNanos));
            } else {
                LOG.info("Connected to nsqd {} (version {}) for {}", address, c.features().version(),
                        consumer.subscription());
            }
        }
        consumer.rebalance();
    }

    private synchronized void onConnectFailed(Throwable error) {
        if (stopped) {
            return;
        }
        lastError = error.getMessage();
        if (backoff.connectFailed()) {
            outageStartNanos = System.nanoTime();
            LOG.warn("Cannot connect to nsqd {} for {}: {}; retrying in the background", address,
                    consumer.subscription(), error.getMessage());
        } else {
            LOG.debug("Still cannot connect to nsqd {} for {}: {}", address, consumer.subscription(),
                    error.getMessage());
        }
        scheduleReconnect();
    }

    @Override
    public void onMessage(NsqConnection c, NsqMessage message) {
        consumer.onMessage(message);
    }

    @Override
    public void onClose(NsqConnection c, Throwable cause) {
        boolean gone;
        synchronized (this) {
            if (c != connection) {
                return; // a connection that never got established (onConnectFailed handles it), or one stop() took
            }
            connection = null;
            consumer.addPossibleDuplicates(c.possibleDuplicates());
            if (stopped) {
                return;
            }
            lastError = cause == null ? "closed by nsqd" : cause.getMessage();
            gone = forgotten;
            if (gone) {
                stopped = true;
                LOG.info("Lost connection to nsqd {} for {} ({}), which lookupd no longer lists: not reconnecting",
                        address, consumer.subscription(), lastError);
            } else {
                long now = System.nanoTime();
                if (backoff.lost(now)) {
                    LOG.warn("Lost connection to nsqd {} for {}: {}; reconnecting", address, consumer.subscription(),
                            lastError);
                    outageStartNanos = now;
                } else {
                    // up for less than maxReconnectDelay: the outage goes on, and so does its growing delay
                    LOG.debug("Lost connection to nsqd {} for {} again: {} ({} failures)", address,
                            consumer.subscription(), lastError, backoff.failures());
                }
                scheduleReconnect();
            }
        }
        if (gone) {
            consumer.removed(this);
        } else {
            consumer.rebalance();
        }
        consumer.lost();
    }

    private void scheduleReconnect() {
        long jittered = backoff.nextDelayMillis();
        try {
            scheduler.schedule(this::connect, jittered, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the consumer is stopping
        }
    }
}
