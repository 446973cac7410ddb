package io.nsqpush.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqConsumer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.support.SynchronizationAdapter;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-subscription delivery metrics, called from the YAML routes (bean {@code pushMetrics}): delivered, failed attempts
 * by status class, requeued, dead-lettered, in flight, possible duplicates, and the latency from NSQ publish to 2xx.
 * They go to Camel's Prometheus registry when metrics are on, else to a private registry that only the status line reads.
 */
public final class PushMetrics {

    /** One subscription's meters, created on its first message. */
    final class Subscription {
        final String name;
        final Tags tags;
        final Counter delivered;
        final Counter requeued;
        final Counter deadLettered;
        final Timer latency;
        final AtomicInteger inFlight = new AtomicInteger();
        final Map<String, Counter> failures = new ConcurrentHashMap<>();
        private final String routeId;

        Subscription(String topic, String channel, String routeId) {
            this.name = topic + "/" + channel;
            this.routeId = routeId;
            this.tags = Tags.of("topic", topic, "channel", channel);
            MeterRegistry r = registry();
            delivered = Counter.builder("nsq_push_delivered").description("messages the endpoint accepted (2xx)")
                    .tags(tags).register(r);
            requeued = Counter.builder("nsq_push_requeued").description("messages sent back to nsqd (REQ) after a"
                    + " failed attempt").tags(tags).register(r);
            deadLettered = Counter.builder("nsq_push_dead_lettered").description("messages kept as dead letters")
                    .tags(tags).register(r);
            latency = Timer.builder("nsq_push_latency").description("NSQ publish time to the endpoint's 2xx")
                    .tags(tags).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofHours(1)).register(r);
            Gauge.builder("nsq_push_in_flight", inFlight, AtomicInteger::get)
                    .description("messages being delivered now").tags(tags).register(r);
            FunctionCounter.builder("nsq_push_possible_duplicates", this, Subscription::possibleDuplicates)
                    .description("FIN/REQ/TOUCH nsqd refused, or FIN impossible after a lost connection: nsqd may"
                            + " deliver these again").tags(tags).register(r);
        }

        Counter failures(String statusClass) {
            return this.failures.computeIfAbsent(statusClass, c -> Counter.builder("nsq_push_failed_attempts")
                    .description("HTTP requests that failed, by status class").tags(tags.and("status_class", c))
                    .register(registry()));
        }

        long failedAttempts() {
            return (long) failures.values().stream().mapToDouble(Counter::count).sum();
        }

        double possibleDuplicates() {
            Route route = context.getRoute(routeId);
            return route != null && route.getConsumer() instanceof NsqConsumer consumer
                    ? consumer.getPossibleDuplicates() : 0;
        }
    }

    private final CamelContext context;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    public PushMetrics(CamelContext context) {
        this.context = context;
    }

    /** First step of a push route: counts the message in flight until its exchange completes. */
    public void started(Exchange exchange) {
        Subscription subscription = subscription(exchange);
        subscription.inFlight.incrementAndGet();
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                subscription.inFlight.decrementAndGet();
            }
        });
    }

    /** After the endpoint answered 2xx. */
    public void delivered(Exchange exchange) {
        Subscription subscription = subscription(exchange);
        subscription.delivered.increment();
        Long published = exchange.getMessage().getHeader(NsqConstants.TIMESTAMP, Long.class);
        if (published != null) {
            subscription.latency.record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - published)));
        }
    }

    /** Every failed HTTP request (the dead-letter channel's onExceptionOccurred). */
    public void failedAttempt(Exchange exchange) {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (failure == null) {
            failure = exchange.getException();
        }
        subscription(exchange).failures(statusClass(failure)).increment();
    }

    public void requeued(Exchange exchange) {
        subscription(exchange).requeued.increment();
    }

    public void deadLettered(Exchange exchange) {
        subscription(exchange).deadLettered.increment();
    }

    /** @return the subscriptions seen so far, for the status line */
    Iterable<Subscription> subscriptions() {
        return subscriptions.values();
    }

    static String statusClass(Throwable failure) {
        if (failure instanceof HttpOperationFailedException http) {
            return (http.getStatusCode() / 100) + "xx";
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return "timeout";
            }
            if (t instanceof ConnectException) {
                return "connect";
            }
        }
        return "other";
    }

    /** One subscription per push route: keyed by its route id, so the hot path builds no key. */
    private Subscription subscription(Exchange exchange) {
        String routeId = exchange.getFromRouteId();
        Subscription subscription = subscriptions.get(routeId);
        if (subscription == null) {
            subscription = subscriptions.computeIfAbsent(routeId, id -> new Subscription(
                    exchange.getMessage().getHeader(NsqConstants.TOPIC, "", String.class),
                    exchange.getMessage().getHeader(NsqConstants.CHANNEL, "", String.class), id));
        }
        return subscription;
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            synchronized (this) {
                if (registry == null) {
                    MeterRegistry camel = context.getRegistry().findSingleByType(MeterRegistry.class);
                    registry = camel != null ? camel : new SimpleMeterRegistry();
                }
                r = registry;
            }
        }
        return r;
    }
}
