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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A consumer's link to one nsqd: connects, subscribes, and after any loss reconnects with exponential backoff until the
 * consumer stops. An outage is logged once at WARN when it starts and once at INFO when it ends.
 */
final class NsqConsumerConnection implements NsqConnectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(NsqConsumerConnection.class);

    private final NsqConsumer consumer;
    private final NsqAddress address;
    private final NsqClientOptions options;
    private final NsqConnector connector;
    private final ScheduledExecutorService scheduler;
    private volatile NsqConnection connection;
    private volatile boolean stopped;
    /** Let go of (lookupd no longer lists it): no new messages, no reconnection. */
    private volatile boolean retired;
    private volatile String lastError;
    /** Failed attempts since the last live connection; > 0 means an outage is under way and was logged. */
    private int failures;
    private long outageStartNanos;

    NsqConsumerConnection(NsqConsumer consumer, NsqAddress address, NsqClientOptions options, NsqConnector connector,
                          ScheduledExecutorService scheduler) {
        this.consumer = consumer;
        this.address = address;
        this.options = options;
        this.connector = connector;
        this.scheduler = scheduler;
    }

    NsqAddress address() {
        return address;
    }

    boolean isConnected() {
        NsqConnection c = connection;
        return c != null && c.isActive();
    }

    /** @return why the last attempt or the last connection failed, or null */
    String lastError() {
        return lastError;
    }

    long possibleDuplicates() {
        NsqConnection c = connection;
        return c == null ? 0 : c.possibleDuplicates();
    }

    void start() {
        connect();
    }

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

    /** Stops taking messages from this nsqd and closes the link once its messages are answered, within the limit. */
    void retire(long limitMillis) {
        synchronized (this) {
            retired = true;
        }
        ready(0);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMillis);
        LOG.info("nsqd {} no longer produces {}: closing its connection once its messages are answered", address,
                consumer.subscription());
        closeWhenDrained(deadline);
    }

    private void closeWhenDrained(long deadline) {
        if (inFlight() == 0 || System.nanoTime() >= deadline) {
            stop();
            return;
        }
        try {
            scheduler.schedule(() -> closeWhenDrained(deadline), 100, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            stop(); // the consumer is stopping
        }
    }

    void ready(int count) {
        NsqConnection c = connection;
        if (c != null && c.readyCount() != count) {
            c.ready(count);
        }
    }

    int readyCount() {
        NsqConnection c = connection;
        return c == null ? 0 : c.readyCount();
    }

    int inFlight() {
        NsqConnection c = connection;
        return c == null ? 0 : c.inFlight();
    }

    private void connect() {
        if (stopped || retired) {
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

    private synchronized void onConnected(NsqConnection c) {
        if (stopped) {
            c.close();
            return;
        }
        connection = c;
        lastError = null;
        if (failures > 0) {
            LOG.info("Reconnected to nsqd {} for {} after {} ms", address, consumer.subscription(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStartNanos));
        } else {
            LOG.info("Connected to nsqd {} (version {}) for {}", address, c.features().version(),
                    consumer.subscription());
        }
        failures = 0;
        consumer.rebalanceReady();
    }

    private synchronized void onConnectFailed(Throwable error) {
        if (stopped) {
            return;
        }
        lastError = error.getMessage();
        if (failures == 0) {
            outageStartNanos = System.nanoTime();
            LOG.warn("Cannot connect to nsqd {} for {}: {}; retrying in the background", address,
                    consumer.subscription(), error.getMessage());
        } else {
            LOG.debug("Still cannot connect to nsqd {} for {}: {}", address, consumer.subscription(),
                    error.getMessage());
        }
        failures++;
        scheduleReconnect();
    }

    @Override
    public void onMessage(NsqConnection c, NsqMessage message) {
        consumer.onMessage(message);
    }

    @Override
    public synchronized void onClose(NsqConnection c, Throwable cause) {
        if (c != connection) {
            return; // a connection that never got established (onConnectFailed handles it), or one stop() took
        }
        connection = null;
        consumer.addPossibleDuplicates(c.possibleDuplicates());
        if (stopped || retired) {
            return;
        }
        lastError = cause == null ? "closed by nsqd" : cause.getMessage();
        LOG.warn("Lost connection to nsqd {} for {}: {}; reconnecting", address, consumer.subscription(), lastError);
        failures = 1;
        outageStartNanos = System.nanoTime();
        consumer.rebalanceReady();
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        NsqConfiguration configuration = consumer.configuration();
        int doublings = Math.min(failures - 1, 20);
        long delay = Math.min(configuration.getMaxReconnectDelay(), configuration.getReconnectDelay() << doublings);
        // jitter, so that many consumers do not reconnect to a restarted nsqd in the same instant
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        try {
            scheduler.schedule(this::connect, jittered, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the consumer is stopping
        }
    }
}
