package io.nsqpush.app;

import io.nsqpush.component.RequeueBackoff;
import io.nsqpush.config.Durations;
import io.nsqpush.push.DeadLetterDestination;
import io.nsqpush.push.EndpointUrls;
import io.nsqpush.push.Redaction;
import org.apache.camel.Route;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one start-up line of a subscription, logged when its route starts (a route policy of the push template), e.g.
 * {@code orders/nsq-push ← nsqd 127.0.0.1:4150 → http://10.0.0.5/hook (JSON, 200 in flight); retries: redeliveries 2
 * (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s, then dead letter → nsq:orders.dead-letter}. Secrets in URLs are masked.
 */
public class SubscriptionSummary extends RoutePolicySupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.nsqpush.subscription");

    private String topic = "";
    private String channel = "";
    private String servers = "";
    private String lookupd = "";
    private String url = "";
    private String mode = "";
    private String method = "POST";
    private String format = "";
    private String maxInFlight = "";
    private String maxAttempts = "";
    private String redeliveries = "";
    private String redeliveryDelay = "";
    private String requeueDelay = "";
    private String maxRequeueDelay = "";
    private String deadLetterUri = "";

    @Override
    public void onStart(Route route) {
        LOG.info("{}", line());
    }

    /** @return the line, from the subscription's parameters as the template resolved them */
    String line() {
        boolean get = method.equalsIgnoreCase("GET");
        List<String> urls = EndpointUrls.parse("url", url, get);
        String endpoints = (get ? "GET " : "") + urls.stream().map(Redaction::uri).collect(Collectors.joining(", "))
                + (urls.size() > 1 ? " (" + mode + ")" : "");
        String sources = (servers.isBlank() ? "" : "nsqd " + servers.trim())
                + (!servers.isBlank() && !lookupd.isBlank() ? " + " : "")
                + (lookupd.isBlank() ? "" : "nsqlookupd " + lookupd.trim());
        String deadLetters = Redaction.uri(DeadLetterDestination.of(deadLetterUri, topic, servers, lookupd));
        return topic + "/" + channel + " ← " + (sources.isEmpty() ? "nsqd localhost:4150" : sources) + " → "
                + endpoints + " (" + format + ", " + maxInFlight + " in flight); retries: " + retryPlan()
                + ", then dead letter → " + deadLetters;
    }

    /**
     * @return e.g. {@code redeliveries 2 (500ms, 1s), then REQ 10s, 20s, 40s, 1m20s}; delays repeated at their cap are
     *         written once with a count ({@code 15m ×60}), so that a large maxAttempts stays one short line
     */
    String retryPlan() {
        int count = Integer.parseInt(redeliveries.trim());
        List<Long> delays = new ArrayList<>();
        long delay = Durations.parseMillis(redeliveryDelay);
        for (int i = 0; i < count; i++) {
            delays.add(delay);
            delay = Math.min(delay * 2, Settings.CAMEL_MAX_REDELIVERY_DELAY_MS);
        }
        // the consumer's own back-off, so that the line says what it will do
        RequeueBackoff backoff = new RequeueBackoff(Durations.parseMillis(requeueDelay),
                Durations.parseMillis(maxRequeueDelay));
        List<Long> requeues = new ArrayList<>();
        for (int attempt = 1; attempt < Integer.parseInt(maxAttempts.trim()); attempt++) {
            requeues.add(backoff.delayFor(attempt));
        }
        return "redeliveries " + count + (delays.isEmpty() ? "" : " (" + sequence(delays) + ")")
                + (requeues.isEmpty() ? "" : ", then REQ " + sequence(requeues));
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

    public void setTopic(String topic) {
        this.topic = topic;
    }

    public void setChannel(String channel) {
        this.channel = channel;
    }

    public void setServers(String servers) {
        this.servers = servers == null ? "" : servers;
    }

    public void setLookupd(String lookupd) {
        this.lookupd = lookupd == null ? "" : lookupd;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public void setMode(String mode) {
        this.mode = mode;
    }

    public void setMethod(String method) {
        this.method = method == null ? "POST" : method.trim();
    }

    public void setFormat(String format) {
        this.format = format == null ? "" : format.trim().toUpperCase(java.util.Locale.ROOT);
    }

    public void setMaxInFlight(String maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    public void setMaxAttempts(String maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public void setRedeliveries(String redeliveries) {
        this.redeliveries = redeliveries;
    }

    public void setRedeliveryDelay(String redeliveryDelay) {
        this.redeliveryDelay = redeliveryDelay;
    }

    public void setRequeueDelay(String requeueDelay) {
        this.requeueDelay = requeueDelay;
    }

    public void setMaxRequeueDelay(String maxRequeueDelay) {
        this.maxRequeueDelay = maxRequeueDelay;
    }

    public void setDeadLetterUri(String deadLetterUri) {
        this.deadLetterUri = deadLetterUri == null ? "" : deadLetterUri;
    }
}
