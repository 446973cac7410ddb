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
import io.nsqpush.push.DeliveryLog;
import io.nsqpush.push.DeliveryListener;
import io.nsqpush.push.PacingStatus;
import io.nsqpush.push.PushConstants;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Per-subscription delivery metrics of every route that consumes from {@code nsq:} (the template's subscriptions and
 * plain routes alike): a route policy factory of the context (its policy sees each exchange end) and the
 * {@link DeliveryListener} of the {@code push:} producers (it sees each request): delivered, failed requests by
 * endpoint and status class, requeued, dead-lettered, skipped by sampling, latency from NSQ publish to 2xx, and from
 * the consumer in flight, held, paused and possible duplicates. A route's meters go with it (a live reload makes them
 * anew, with the tags of the new route). They go to Camel's Prometheus registry when metrics are on, else to a private
 * registry that only the status line reads.
 */
public final class PushMetrics implements RoutePolicyFactory, DeliveryListener {

    /** One subscription's meters, keyed by its route id. */
    final class Subscription {
        final String name;
        final String routeId;
        final Tags tags;
        final Counter delivered;
        final Counter requeued;
        final Counter deadLettered;
        final Counter skipped;
        final Timer latency;
        final Map<String, Counter> failures = new ConcurrentHashMap<>();
        /** How the route's push: endpoint paces its requests, once it sent one. */
        volatile PacingStatus pacing;

        Subscription(String topic, String channel, String routeId) {
            this.name = topic + "/" + channel;
            this.routeId = routeId;
            this.tags = Tags.of("topic", topic, "channel", channel);
            MeterRegistry r = registry();
            delivered = keep(Counter.builder("nsq_push_delivered").description("messages the endpoint accepted")
                    .tags(tags).register(r));
            requeued = keep(Counter.builder("nsq_push_requeued").description("messages sent back to nsqd (REQ)"
                    + " after a failed attempt").tags(tags).register(r));
            deadLettered = keep(Counter.builder("nsq_push_dead_lettered").description("messages kept as dead"
                    + " letters").tags(tags).register(r));
            skipped = keep(Counter.builder("nsq_push_skipped").description("messages finished unsent by"
                    + " push.sample").tags(tags).register(r));
            latency = keep(Timer.builder("nsq_push_latency").description("NSQ publish time to the endpoint's 2xx")
                    .tags(tags).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofHours(1)).register(r));
            gauge("nsq_push_in_flight", "messages received and not yet answered (processing or held)",
                    NsqConsumer::getInFlight);
            gauge("nsq_push_held", "messages kept unanswered while the endpoint is unavailable", NsqConsumer::getHeld);
            gauge("nsq_push_paused", "1 while the subscription is paused because its endpoint is unavailable",
                    c -> c.isPaused() ? 1 : 0);
            pacingGauge("nsq_push_rate_limit", "requests per second allowed now (push.rate-limit, or learnt from"
                    + " the endpoint's 429 and 503); +Inf when none", PacingStatus::rateLimit);
            pacingGauge("nsq_push_concurrency_limit", "requests allowed at once now (push.concurrency, or learnt)",
                    PacingStatus::concurrencyLimit);
            pacingGauge("nsq_push_requests_active", "requests under way", PacingStatus::active);
            pacingGauge("nsq_push_requests_waiting", "requests waiting for their turn, their messages in flight",
                    PacingStatus::waiting);
            pacingGauge("nsq_push_accepted_rate", "requests the endpoint accepted per second, over the last second",
                    PacingStatus::acceptedRate);
            keep(FunctionCounter.builder("nsq_push_pauses", this, s -> s.consumerValue(NsqConsumer::getPauses))
                    .description("times the subscription paused for an unavailable endpoint").tags(tags).register(r));
            keep(FunctionCounter.builder("nsq_push_possible_duplicates", this,
                            s -> s.consumerValue(NsqConsumer::getPossibleDuplicates))
                    .description("FIN/REQ/TOUCH nsqd refused, or FIN impossible after a lost connection: nsqd may"
                            + " deliver these again").tags(tags).register(r));
        }

        private <M extends io.micrometer.core.instrument.Meter> M keep(M meter) {
            meters.add(meter);
            return meter;
        }

        private void gauge(String name, String description, ToDoubleFunction<NsqConsumer> value) {
            keep(Gauge.builder(name, this, s -> s.consumerValue(value)).description(description).tags(tags)
                    .register(registry()));
        }

        private void pacingGauge(String name, String description, ToDoubleFunction<PacingStatus> value) {
            keep(Gauge.builder(name, this, s -> {
                PacingStatus p = s.pacing;
                return p == null ? Double.NaN : value.applyAsDouble(p);
            }).description(description).tags(tags).register(registry()));
        }

        void remove() {
            meters.forEach(registry()::remove);
        }

        /** Read through the route each time: a reload makes a new consumer under the same route id. */
        double consumerValue(ToDoubleFunction<NsqConsumer> value) {
            NsqConsumer consumer = consumer();
            return consumer == null ? 0 : value.applyAsDouble(consumer);
        }

        NsqConsumer consumer() {
            Route route = context.getRoute(routeId);
            return route != null && route.getConsumer() instanceof NsqConsumer consumer ? consumer : null;
        }

        /** Every meter of the subscription, so that they leave the registry with it. */
        final java.util.List<io.micrometer.core.instrument.Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();

        Counter failures(String endpoint, String statusClass) {
            return failures.computeIfAbsent(endpoint + " " + statusClass, k -> keep(Counter.builder(
                            "nsq_push_failed_attempts")
                    .description("HTTP requests that did not deliver, by endpoint and status class")
                    .tags(tags.and("endpoint", endpoint, "status_class", statusClass)).register(registry())));
        }

        long failedAttempts() {
            return (long) failures.values().stream().mapToDouble(Counter::count).sum();
        }
    }

    private final CamelContext context;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    public PushMetrics(CamelContext context) {
        this.context = context;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return new Policy();
    }

    /** One route's: counts its exchanges when it consumes from nsq:. */
    private final class Policy extends RoutePolicySupport {

        /** The meters exist from the route's start, before any message: a dashboard sees 0, not nothing. */
        @Override
        public void onStart(Route route) {
            if (route.getConsumer() instanceof NsqConsumer consumer) {
                String topic = consumer.getEndpoint().getConfiguration().getTopic();
                String channel = consumer.getEndpoint().getConfiguration().getChannel();
                subscriptions.compute(route.getRouteId(), (id, old) -> {
                    if (old != null && old.name.equals(topic + "/" + channel)) {
                        return old;
                    }
                    if (old != null) {
                        old.remove(); // the id now names another subscription: its meters go, not keep stale tags
                    }
                    return new Subscription(topic, channel, id);
                });
            }
        }

        @Override
        public void onRemove(Route route) {
            Subscription gone = subscriptions.remove(route.getRouteId());
            if (gone != null) {
                gone.remove();
            }
        }

        @Override
        public void onExchangeDone(Route route, Exchange exchange) {
            Subscription subscription = subscriptions.get(route.getRouteId());
            if (subscription != null) {
                count(subscription, exchange);
            }
        }
    }

    private static void count(Subscription subscription, Exchange exchange) {
        switch (DeliveryLog.outcomeOf(exchange)) {
            case DELIVERED -> {
                subscription.delivered.increment();
                Long published = exchange.getMessage().getHeader(NsqConstants.TIMESTAMP, Long.class);
                if (published != null) {
                    subscription.latency.record(Duration.ofMillis(Math.max(0,
                            System.currentTimeMillis() - published)));
                }
            }
            case SKIPPED -> subscription.skipped.increment();
            case DEAD_LETTERED -> subscription.deadLettered.increment();
            case REQUEUED -> subscription.requeued.increment();
            default -> {
                // held or finished unsent: neither counts
            }
        }
    }

    @Override
    public void requested(Exchange exchange, Request request) {
        if (!request.delivered()) {
            Subscription subscription = subscriptions.get(exchange.getFromRouteId());
            if (subscription != null) {
                subscription.failures(request.endpoint(), request.statusClass()).increment();
            }
        }
    }

    @Override
    public void paced(Exchange exchange, PacingStatus pacing) {
        Subscription subscription = subscriptions.get(exchange.getFromRouteId());
        if (subscription != null && subscription.pacing != pacing) {
            subscription.pacing = pacing;
        }
    }

    /** @return the subscriptions seen so far, for the status line */
    Iterable<Subscription> subscriptions() {
        return subscriptions.values();
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
