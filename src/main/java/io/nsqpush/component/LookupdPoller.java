package io.nsqpush.component;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqLookupd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Polls nsqlookupd for the producers of the consumer's topic, as go-nsq does: at once, then every interval with up to
 * 30% jitter, and soon after a connection is lost. New producers are connected. A producer no longer listed by any
 * lookupd keeps its live connection (a restarting lookupd or nsqd makes such blips) but is not reconnected once lost.
 * A lookupd that does not answer keeps its last answer.
 */
final class LookupdPoller {

    private static final Logger LOG = LoggerFactory.getLogger(LookupdPoller.class);

    private final NsqConsumer consumer;
    private final List<String> lookupds;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService httpExecutor;
    private final NsqLookupd client;
    private final Map<String, List<NsqAddress>> lastAnswers = new ConcurrentHashMap<>();
    private final Set<NsqAddress> discovered = new LinkedHashSet<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    /** Impossible producer addresses already logged (bounded: a broken lookupd may invent any number). */
    private final Set<String> reportedImpossible = ConcurrentHashMap.newKeySet();
    private static final int MAX_REPORTED = 10_000;
    private static final long MAX_REQUEST_MILLIS = 10_000;
    /** The producers left out by lookupdMaxProducers at the last apply, 0 when none (guarded by this). */
    private int leftOut;
    private volatile boolean stopped;
    private long nextPollNanos;

    /**
     * @param client       the component's lookupd client and
     * @param httpExecutor its executor, shared by all consumers (one HTTP client and its threads, not one per
     *                     subscription)
     */
    LookupdPoller(NsqConsumer consumer, List<String> lookupds, ScheduledExecutorService scheduler, NsqLookupd client,
                  ExecutorService httpExecutor) {
        this.consumer = consumer;
        this.lookupds = lookupds;
        this.scheduler = scheduler;
        this.httpExecutor = httpExecutor;
        this.client = client;
    }

    void start() {
        schedule(0);
    }

    void stop() {
        stopped = true; // a request under way ends within its deadline and applies nothing
    }

    /** @return true once some lookupd has answered */
    boolean hasAnswered() {
        return !lastAnswers.isEmpty();
    }

    /** A connection was lost: ask lookupd again in a second, unless a poll is already that close. */
    void pollSoon() {
        long soon = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        synchronized (this) {
            if (nextPollNanos - soon <= 0) {
                return;
            }
            nextPollNanos = soon;
        }
        schedule(1_000);
    }

    private void schedule(long delayMillis) {
        if (stopped) {
            return;
        }
        synchronized (this) {
            nextPollNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
        }
        try {
            scheduler.schedule(this::poll, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the consumer is stopping
        }
    }

    private void poll() {
        if (stopped) {
            return; // scheduled on the component's timer before the consumer stopped
        }
        String topic = consumer.configuration().getTopic();
        // a deadline on the whole request, its body included: a poll ends before the next one is due
        Duration timeout = Duration.ofMillis(Math.min(MAX_REQUEST_MILLIS,
                consumer.configuration().getLookupdPollInterval()));
        CompletableFuture<?>[] lookups = lookupds.stream().map(lookupd -> client.lookupAnswer(lookupd, topic, timeout)
                .handle((answer, error) -> {
                    if (error != null) {
                        if (failing.add(lookupd)) {
                            Throwable cause = error.getCause() != null ? error.getCause() : error;
                            LOG.warn("nsqlookupd {} did not answer for topic {}: {}; keeping its last answer",
                                    UriMasking.uri(lookupd), topic, cause.getMessage() != null
                                            ? UriMasking.uri(cause.getMessage()) : cause.getClass().getSimpleName());
                        }
                    } else {
                        if (failing.remove(lookupd)) {
                            LOG.info("nsqlookupd {} answers again", UriMasking.uri(lookupd));
                        }
                        reportImpossible(lookupd, topic, answer.impossible());
                        lastAnswers.put(lookupd, answer.producers());
                    }
                    return null;
                })).toArray(CompletableFuture[]::new);
        // async on our pool: the HTTP client may complete on a thread of its own, and connecting is our work
        CompletableFuture.allOf(lookups).whenCompleteAsync((ignored, error) -> {
            apply();
            long interval = consumer.configuration().getLookupdPollInterval();
            long next = interval - (long) (interval * 0.3 * ThreadLocalRandom.current().nextDouble());
            synchronized (this) {
                if (nextPollNanos - System.nanoTime() > 0) {
                    return; // a sooner poll is already scheduled
                }
            }
            schedule(next);
        }, this::runUnlessStopped);
    }

    private void runUnlessStopped(Runnable task) {
        if (stopped) {
            return;
        }
        try {
            httpExecutor.execute(task);
        } catch (RejectedExecutionException e) {
            // the consumer is stopping: nothing to apply
        }
    }

    /** Logs the impossible addresses not logged before, in one line: a few of them, then how many more. */
    private void reportImpossible(String lookupd, String topic, List<String> impossible) {
        List<String> fresh = impossible.stream().filter(a -> !reportedImpossible.contains(a)).toList();
        if (fresh.isEmpty()) {
            return;
        }
        if (reportedImpossible.size() < MAX_REPORTED) {
            reportedImpossible.addAll(fresh.subList(0, Math.min(fresh.size(), MAX_REPORTED)));
        }
        LOG.warn("nsqlookupd {} lists producers of topic {} at addresses no nsqd can have (0.0.0.0, port 0 or above"
                + " 65535), left out: {}", UriMasking.uri(lookupd), topic, Listing.firstFew(fresh));
    }

    private synchronized void apply() {
        if (stopped) {
            return;
        }
        Set<NsqAddress> now = new LinkedHashSet<>();
        lastAnswers.values().forEach(now::addAll);
        int max = consumer.configuration().getLookupdMaxProducers();
        List<NsqAddress> skipped = new java.util.ArrayList<>();
        for (NsqAddress address : now) {
            if (discovered.contains(address)) {
                continue;
            }
            if (discovered.size() >= max) {
                skipped.add(address);
                continue;
            }
            discovered.add(address);
            LOG.info("nsqlookupd lists nsqd {} for topic {}: connecting", address, consumer.configuration().getTopic());
            consumer.relist(address);
            consumer.connectTo(address, false);
        }
        if (!skipped.isEmpty() && leftOut == 0) {
            LOG.warn("nsqlookupd lists {} nsqd for topic {}: connected to {} (lookupdMaxProducers), left out {}",
                    now.size(), consumer.configuration().getTopic(), discovered.size(), Listing.firstFew(
                            skipped.stream().map(NsqAddress::toString).toList()));
        }
        leftOut = skipped.size();
        for (NsqAddress address : Set.copyOf(discovered)) {
            if (!now.contains(address)) {
                discovered.remove(address);
                consumer.forget(address);
            }
        }
    }
}
