package io.nsqpush.app;

import io.nsqpush.component.NsqConsumer;
import io.nsqpush.config.Durations;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A status line per subscription every {@code status.interval}, and every {@code status.every} deliveries like
 * nsq_to_http's --status-every: rate, in flight, failures, and whether it is paused and why.
 */
final class StatusLog extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.nsqpush.status");
    /** How often the count-based line looks at the counts. */
    private static final long COUNT_CHECK_MILLIS = 1_000;

    private final CamelContext context;
    private final PushMetrics metrics;
    private final long intervalMillis;
    private final long every;
    /** Per subscription: deliveries and time at its last line. */
    private final Map<String, long[]> last = new HashMap<>();
    private ScheduledExecutorService scheduler;

    StatusLog(CamelContext context, PushMetrics metrics, long intervalMillis, long every) {
        this.context = context;
        this.metrics = metrics;
        this.intervalMillis = intervalMillis;
        this.every = every;
    }

    @Override
    protected void doStart() {
        scheduler = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "StatusLog");
        if (intervalMillis > 0) {
            scheduler.scheduleAtFixedRate(() -> log(false), intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        }
        if (every > 0) {
            scheduler.scheduleAtFixedRate(() -> log(true), COUNT_CHECK_MILLIS, COUNT_CHECK_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void doStop() {
        if (scheduler != null) {
            context.getExecutorServiceManager().shutdownNow(scheduler);
        }
    }

    private synchronized void log(boolean byCount) {
        long now = System.nanoTime();
        for (PushMetrics.Subscription s : metrics.subscriptions()) {
            long delivered = (long) s.delivered.count();
            // the first line's rate is over the time since the subscription's route started, not since this look
            long[] previous = last.computeIfAbsent(s.routeId, id -> new long[] {0, now - startedAgo(id)});
            if (byCount && delivered - previous[0] < every) {
                continue;
            }
            double seconds = Math.max(0.001, (now - previous[1]) / 1e9);
            double rate = (delivered - previous[0]) / seconds;
            previous[0] = delivered;
            previous[1] = now;
            LOG.info("{}: delivered {} ({}/s), in flight {}, failed attempts {}, requeued {}, dead letters {},"
                            + " possible duplicates {}{}", s.name, delivered, String.format("%.1f", rate),
                    (long) s.consumerValue(NsqConsumer::getInFlight), s.failedAttempts(), (long) s.requeued.count(),
                    (long) s.deadLettered.count(), (long) s.consumerValue(NsqConsumer::getPossibleDuplicates),
                    paused(s.consumer()));
        }
    }

    private long startedAgo(String routeId) {
        org.apache.camel.Route route = context.getRoute(routeId);
        return route == null ? 0 : TimeUnit.MILLISECONDS.toNanos(route.getUptimeMillis());
    }

    /** @return e.g. {@code , paused for 2m13s (connection refused), 12 held}, or nothing while running */
    static String paused(NsqConsumer consumer) {
        if (consumer == null || !consumer.isPaused()) {
            return "";
        }
        return ", paused for " + Durations.format(consumer.getPausedMillis() / 1000 * 1000) + " ("
                + consumer.getPauseReason() + "), " + consumer.getHeld() + " held";
    }
}
