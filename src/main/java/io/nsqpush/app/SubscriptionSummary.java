package io.nsqpush.app;

import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.component.NsqConsumer;
import io.nsqpush.component.RetrySchedule;
import io.nsqpush.config.Durations;
import io.nsqpush.push.DeadLetterDestination;
import io.nsqpush.push.EndpointUrls;
import io.nsqpush.push.PushConfiguration;
import io.nsqpush.push.PushEndpoint;
import io.nsqpush.push.Redaction;
import org.apache.camel.CamelContext;
import org.apache.camel.Channel;
import org.apache.camel.DelegateProcessor;
import org.apache.camel.NamedNode;
import org.apache.camel.Navigate;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.processor.SendProcessor;
import org.apache.camel.processor.errorhandler.RedeliveryErrorHandler;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one start-up line of every route that consumes from {@code nsq:} (a route policy factory of the context), read
 * off the running route: where from, where to, how it retries, e.g. {@code orders/nsq-push ← nsqd 127.0.0.1:4150 →
 * http://10.0.0.5/hook (JSON, 200 in flight); retries: redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s, then
 * dead letter → nsq:orders.dead-letter}, a CMQ retry policy by its name ({@code then BACKOFF_RETRY: REQ 10s-20s ×3}).
 * Secrets in URLs are masked. A route with no usable default dead-letter topic
 * (a topic name too long for {@code .dead-letter}) fails to start here, before any message is taken.
 */
public final class SubscriptionSummary implements RoutePolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger("io.nsqpush.subscription");

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return new RoutePolicySupport() {
            @Override
            public void onStart(Route started) {
                if (started.getConsumer() instanceof NsqConsumer consumer) {
                    LOG.info("{}", line(started, consumer));
                }
            }
        };
    }

    static String line(Route route, NsqConsumer consumer) {
        NsqConfiguration source = consumer.getEndpoint().getConfiguration();
        List<PushEndpoint> targets = new ArrayList<>();
        List<RedeliveryErrorHandler> handlers = new ArrayList<>();
        walk(route.getProcessor(), targets, handlers, new IdentityHashMap<>());
        String servers = source.getServers() == null ? "" : source.getServers().trim();
        String lookupd = source.getLookupd() == null ? "" : source.getLookupd().trim();
        String sources = (servers.isEmpty() ? "" : "nsqd " + servers) + (!servers.isEmpty() && !lookupd.isEmpty()
                ? " + " : "") + (lookupd.isEmpty() ? "" : "nsqlookupd " + lookupd);
        String to = targets.isEmpty() ? route.getEndpoint() == null ? "?" : "its steps"
                : targets.stream().map(SubscriptionSummary::target).collect(Collectors.joining(", "));
        String format = targets.isEmpty() ? "" : targets.get(0).getConfiguration().getFormat() + ", ";
        RedeliveryErrorHandler handler = handlers.isEmpty() ? null : handlers.get(0);
        return source.getTopic() + "/" + source.getChannel() + " ← " + (sources.isEmpty() ? "nsqd localhost:4150"
                : sources) + " → " + to + " (" + format + source.getMaxInFlight() + " in flight); retries: "
                + retryPlan(handler == null ? null : handler.getRedeliveryPolicy(), source)
                + deadLetters(route, source, handler);
    }

    private static String target(PushEndpoint endpoint) {
        PushConfiguration configuration = endpoint.getConfiguration();
        boolean get = "GET".equals(configuration.getMethod());
        List<String> urls = EndpointUrls.parse("url", configuration.getUrl(), get);
        return (get ? "GET " : "") + urls.stream().map(Redaction::uri).collect(Collectors.joining(", "))
                + (urls.size() > 1 ? " (" + configuration.getMode() + ")" : "");
    }

    private static String deadLetters(Route route, NsqConfiguration source, RedeliveryErrorHandler handler) {
        if (handler == null || handler.getDeadLetterUri() == null) {
            return ", no dead-letter channel (what fails is requeued until it succeeds)";
        }
        Object own = route.getProperties().get(DeadLetterDestination.ROUTE_PROPERTY);
        String bridge = route.getCamelContext().getPropertiesComponent().resolveProperty("dead-letter.uri")
                .orElse("").trim();
        String uri = own != null && !own.toString().isBlank() ? own.toString().trim() : !bridge.isEmpty() ? bridge
                : DeadLetterDestination.of(source.getTopic(), null) + " on the nsqd it came from";
        return ", then dead letter → " + Redaction.uri(uri);
    }

    /**
     * @return e.g. {@code redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s}; delays repeated at their cap are
     *         written once with a count ({@code 15m ×60}), so that a large maxAttempts stays one short line
     */
    static String retryPlan(RedeliveryPolicy policy, NsqConfiguration source) {
        int count = policy == null ? 0 : Math.max(0, policy.getMaximumRedeliveries());
        List<Long> delays = new ArrayList<>();
        if (policy != null) {
            long delay = policy.getRedeliveryDelay();
            for (int i = 0; i < count; i++) {
                delays.add(delay);
                delay = policy.isUseExponentialBackOff() ? Math.min((long) (delay * policy.getBackOffMultiplier()),
                        policy.getMaximumRedeliveryDelay()) : delay;
            }
        }
        String redeliveries = "redeliveries " + count + (delays.isEmpty() ? "" : " (" + sequence(delays) + ")");
        // the consumer's own schedule, so that the line says what it will do; a CMQ policy by its name
        RetrySchedule schedule = RetrySchedule.of(source, (min, max) -> min);
        if (schedule.describe() != null) {
            return redeliveries + ", then " + schedule.describe();
        }
        List<Long> requeues = new ArrayList<>();
        for (int attempt = 1; attempt < schedule.maxAttempts(); attempt++) {
            requeues.add(schedule.delayFor(attempt));
        }
        return redeliveries + (requeues.isEmpty() ? "" : ", then REQ " + sequence(requeues));
    }

    /** @return the delays as durations, a run of equal ones at the end written once with its count */
    private static String sequence(List<Long> delays) {
        int repeated = 1;
        while (repeated < delays.size()
                && delays.get(delays.size() - 1 - repeated).equals(delays.get(delays.size() - 1))) {
            repeated++;
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < delays.size() - repeated; i++) {
            parts.add(Durations.format(delays.get(i)));
        }
        String last = Durations.format(delays.get(delays.size() - 1));
        parts.add(repeated > 2 ? last + " ×" + repeated : repeated == 2 ? last + ", " + last : last);
        return String.join(", ", parts);
    }

    /** Collects the push: endpoints a route sends to and its error handlers, through Camel's processor tree. */
    private static void walk(Processor processor, List<PushEndpoint> targets, List<RedeliveryErrorHandler> handlers,
                             Map<Object, Boolean> seen) {
        if (processor == null || seen.put(processor, true) != null) {
            return;
        }
        if (processor instanceof Channel channel) {
            walk(channel.getErrorHandler(), targets, handlers, seen);
            walk(channel.getNextProcessor(), targets, handlers, seen);
        }
        if (processor instanceof RedeliveryErrorHandler handler) {
            if (!handlers.contains(handler)) {
                handlers.add(handler);
            }
            walk(handler.getOutput(), targets, handlers, seen);
        }
        if (processor instanceof SendProcessor send && send.getEndpoint() instanceof PushEndpoint push
                && !targets.contains(push)) {
            targets.add(push);
        }
        if (processor instanceof DelegateProcessor delegate) {
            walk(delegate.getProcessor(), targets, handlers, seen);
        }
        if (processor instanceof Navigate<?> navigate && navigate.hasNext()) {
            for (Object next : navigate.next()) {
                if (next instanceof Processor child) {
                    walk(child, targets, handlers, seen);
                }
            }
        }
    }
}
