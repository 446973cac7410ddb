package io.nsqpush.app;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A status line per subscription every interval, like nsq_to_http's --status-every: rate, in flight, failures. */
final class StatusLog extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.nsqpush.status");

    private final CamelContext context;
    private final PushMetrics metrics;
    private final long intervalMillis;
    private final Map<String, Long> lastDelivered = new HashMap<>();
    private ScheduledExecutorService scheduler;

    StatusLog(CamelContext context, PushMetrics metrics, long intervalMillis) {
        this.context = context;
        this.metrics = metrics;
        this.intervalMillis = intervalMillis;
    }

    @Override
    protected void doStart() {
        scheduler = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "StatusLog");
        scheduler.scheduleAtFixedRate(this::log, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (scheduler != null) {
            context.getExecutorServiceManager().shutdownNow(scheduler);
        }
    }

    private void log() {
        for (PushMetrics.Subscription s : metrics.subscriptions()) {
            long delivered = (long) s.delivered.count();
            long previous = lastDelivered.getOrDefault(s.name, 0L);
            lastDelivered.put(s.name, delivered);
            LOG.info("{}: delivered {} ({}/s), in flight {}, failed attempts {}, requeued {}, dead letters {},"
                            + " possible duplicates {}", s.name, delivered,
                    String.format("%.1f", (delivered - previous) * 1000.0 / intervalMillis), s.inFlight.get(),
                    s.failedAttempts(), (long) s.requeued.count(), (long) s.deadLettered.count(),
                    (long) s.possibleDuplicates());
        }
    }
}
