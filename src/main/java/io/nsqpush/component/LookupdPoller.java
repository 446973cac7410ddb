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
 * 30% jitter. New producers are connected; producers no longer listed by any lookupd are let go. A lookupd that does
 * not answer keeps its last answer, so that a lookupd outage drops no connection.
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
    private volatile boolean stopped;

    LookupdPoller(NsqConsumer consumer, List<String> lookupds, ScheduledExecutorService scheduler,
                  ExecutorService httpExecutor) {
        this.consumer = consumer;
        this.lookupds = lookupds;
        this.scheduler = scheduler;
        this.httpExecutor = httpExecutor;
        this.client = new NsqLookupd(httpExecutor,
                Duration.ofMillis(consumer.configuration().getConnectTimeout()));
    }

    void start() {
        schedule(0);
    }

    void stop() {
        stopped = true;
        httpExecutor.shutdownNow();
    }

    /** @return true once some lookupd has answered */
    boolean hasAnswered() {
        return !lastAnswers.isEmpty();
    }

    private void schedule(long delayMillis) {
        if (stopped) {
            return;
        }
        try {
            scheduler.schedule(this::poll, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the consumer is stopping
        }
    }

    private void poll() {
        String topic = consumer.configuration().getTopic();
        Duration timeout = Duration.ofSeconds(10);
        CompletableFuture<?>[] lookups = lookupds.stream().map(lookupd -> client.lookup(lookupd, topic, timeout)
                .handle((producers, error) -> {
                    if (error != null) {
                        if (failing.add(lookupd)) {
                            LOG.warn("nsqlookupd {} did not answer for topic {}: {}; keeping its last answer", lookupd,
                                    topic, error.getCause() != null ? error.getCause().getMessage() : error.getMessage());
                        }
                    } else {
                        if (failing.remove(lookupd)) {
                            LOG.info("nsqlookupd {} answers again", lookupd);
                        }
                        lastAnswers.put(lookupd, producers);
                    }
                    return null;
                })).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(lookups).whenComplete((ignored, error) -> {
            apply();
            long interval = consumer.configuration().getLookupdPollInterval();
            schedule(interval - (long) (interval * 0.3 * ThreadLocalRandom.current().nextDouble()));
        });
    }

    private synchronized void apply() {
        if (stopped) {
            return;
        }
        Set<NsqAddress> now = new LinkedHashSet<>();
        lastAnswers.values().forEach(now::addAll);
        List<NsqAddress> statics = consumer.configuration().staticServers();
        for (NsqAddress address : now) {
            if (discovered.add(address)) {
                LOG.info("nsqlookupd lists nsqd {} for topic {}: connecting", address, consumer.configuration().getTopic());
                consumer.connectTo(address);
            }
        }
        for (NsqAddress address : Set.copyOf(discovered)) {
            if (!now.contains(address)) {
                discovered.remove(address);
                if (!statics.contains(address)) {
                    consumer.retire(address);
                }
            }
        }
    }
}
