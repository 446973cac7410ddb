package io.nsqpush.app;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqMessageControl;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.http.HttpAnswer;
import io.nsqpush.http.HttpFailure;
import io.nsqpush.http.HttpSender;
import io.nsqpush.http.HttpTarget;
import io.nsqpush.push.CmqHeaders;
import io.nsqpush.push.CmqRequestId;
import io.nsqpush.push.DeadLetterRecord;
import io.nsqpush.push.DeliveryFailedException;
import io.nsqpush.push.DeliveryListener;
import io.nsqpush.push.EndpointUrls;
import io.nsqpush.push.HostPool;
import io.nsqpush.push.QueryEscape;
import io.nsqpush.push.Redaction;
import io.nsqpush.push.ResponsePolicy;
import io.nsqpush.push.StatusCodes;
import io.nsqpush.push.WebhookSigner;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.processor.loadbalancer.FailOverLoadBalancer;
import org.apache.camel.processor.loadbalancer.LoadBalancerSupport;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.service.ServiceHelper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;

/**
 * The push route's delivery step: one HTTP request per message to one of the subscription's endpoints, without a
 * blocked thread. Each request gets its own {@code x-cmq-request-id} (and Standard Webhooks signature when a signing
 * secret is set). The answer is judged by the {@link ResponsePolicy}; a failure becomes a
 * {@link DeliveryFailedException} for the route's retry policy and dead-letter decision, and is reported to the
 * consumer ({@link NsqMessageControl}) so that an endpoint outage pauses the subscription instead of spending attempts.
 * <p>
 * Several URLs: Camel's failover load balancer in round-robin order, or with {@code hostpool} one that prefers the
 * endpoints that answer and leaves out a failing one for a growing while ({@link HostPool}); either way a failed
 * request is tried on another endpoint before the route's own redelivery. A template bean, one per subscription, with
 * its own connection pool (so subscriptions do not share a pool sized for one of them).
 */
public class PushEndpoints extends AsyncProcessorSupport implements CamelContextAware {

    /** Exchange property set when the endpoint took the message. */
    public static final String DELIVERED = "nsqPushDelivered";

    /** Beyond the requests' own deadlines: the route's steps and the dead-letter decision. */
    private static final long ATTEMPT_SLACK_MILLIS = 5_000;
    /** Hop-by-hop and framing headers the sender sets itself; looked up without case and without a copy. */
    private static final Set<String> NOT_FORWARDED = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    static {
        NOT_FORWARDED.addAll(List.of("host", "content-length", "connection", "transfer-encoding", "keep-alive",
                "upgrade", "te", "trailer", "proxy-connection"));
    }

    private CamelContext camelContext;
    private String url = "";
    private String mode = "hostpool";
    private HttpMethod method = HttpMethod.POST;
    private long timeoutMillis = 15_000;
    private long connectTimeoutMillis = 2_000;
    private long maxRetryAfterMillis = 3_600_000;
    private long pauseMillis = 1_000;
    private long maxPauseMillis = 60_000;
    private long redeliveries = 2;
    private long redeliveryDelayMillis = 500;
    /** How long one attempt can take: every request to every endpoint timing out, and the redelivery delays. */
    private long attemptMillis;
    private StatusCodes successOn = StatusCodes.NONE;
    private StatusCodes deadLetterOn = StatusCodes.NONE;
    private WebhookSigner signer;

    private ResponsePolicy policy;
    private HttpSender sender;
    private ExecutorService resolver;
    private AsyncProcessor selector;
    private DeliveryListener listener;

    @Override
    protected void doStart() throws Exception {
        List<String> urls = EndpointUrls.parse("url", url, method == HttpMethod.GET);
        policy = new ResponsePolicy(successOn, deadLetterOn, method == HttpMethod.GET, maxRetryAfterMillis);
        HttpClients clients = HttpClients.of(camelContext);
        resolver = camelContext.getExecutorServiceManager().newCachedThreadPool(this, "PushDns");
        sender = new HttpSender(clients.eventLoops(), resolver, new HttpSender.Options(connectTimeoutMillis,
                timeoutMillis, clients.tls(), true, clients.proxy(), 60_000));
        listener = camelContext.getRegistry().findSingleByType(DeliveryListener.class);
        List<Target> targets = new ArrayList<>();
        for (String each : urls) {
            targets.add(new Target(HttpTarget.parse(each), Redaction.uri(each)));
        }
        selector = targets.size() == 1 ? targets.get(0) : loadBalancer(targets);
        attemptMillis = Settings.attemptMillis(timeoutMillis * targets.size(), redeliveries, redeliveryDelayMillis)
                + ATTEMPT_SLACK_MILLIS;
        ServiceHelper.startService(selector);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(selector);
        if (sender != null) {
            sender.close();
        }
        if (resolver != null) {
            camelContext.getExecutorServiceManager().shutdownNow(resolver);
        }
    }

    private LoadBalancerSupport loadBalancer(List<Target> targets) {
        LoadBalancerSupport balancer;
        if (mode.equals("round-robin")) {
            FailOverLoadBalancer failover = new FailOverLoadBalancer() {
                @Override
                protected boolean shouldFailOver(Exchange exchange) {
                    return isTriedElsewhere(exchange.getException());
                }
            };
            failover.setRoundRobin(true);
            failover.setMaximumFailoverAttempts(targets.size() - 1);
            failover.setCamelContext(camelContext);
            balancer = failover;
        } else {
            balancer = new HostPoolBalancer(new HostPool(targets.size(), pauseMillis, maxPauseMillis));
        }
        targets.forEach(balancer::addProcessor);
        return balancer;
    }

    /** A request that failed may be tried on another endpoint, unless no endpoint could take this message. */
    static boolean isTriedElsewhere(Throwable failure) {
        DeliveryFailedException delivery = DeliveryFailedException.in(failure);
        return delivery != null && delivery.kind() != DeliveryFailedException.Kind.PERMANENT;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        NsqMessageControl control = exchange.getProperty(NsqConstants.CONTROL, NsqMessageControl.class);
        if (control != null && exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER) == null) {
            control.keepAliveFor(attemptMillis); // TOUCH no longer than this attempt can take
        }
        if (control != null && !control.mayDeliver()) {
            // paused: no request until the probe says the endpoint is back; the message is held meanwhile
            exchange.setException(new DeliveryFailedException(DeliveryFailedException.Kind.UNAVAILABLE, -1, 0,
                    "the subscription is paused", null));
            callback.done(true);
            return true;
        }
        return selector.process(exchange, callback);
    }

    /** One endpoint: sends a request to it and judges the answer. */
    private final class Target extends AsyncProcessorSupport {

        private final HttpTarget http;
        private final String masked;

        Target(HttpTarget http, String masked) {
            this.http = http;
            this.masked = masked;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            Message in = exchange.getIn();
            byte[] body = in.getBody(byte[].class);
            String requestId = CmqRequestId.newId();
            in.setHeader(CmqHeaders.REQUEST_ID, requestId);
            boolean get = method == HttpMethod.GET;
            String path = get ? http.pathAndQuery().replace("%s", QueryEscape.escape(body == null ? new byte[0] : body))
                    : http.pathAndQuery();
            byte[] sent = get ? null : body == null ? new byte[0] : body;
            if (signer != null) {
                long timestamp = System.currentTimeMillis() / 1000;
                String id = in.getHeader(NsqConstants.MESSAGE_ID, String.class);
                in.setHeader(WebhookSigner.ID, id);
                in.setHeader(WebhookSigner.TIMESTAMP, timestamp);
                in.setHeader(WebhookSigner.SIGNATURE, signer.sign(id, timestamp, sent == null ? new byte[0] : sent));
            }
            exchange.setProperty(DeadLetterRecord.ENDPOINT, masked); // the last URL tried, masked
            sender.send(http, method, path, headers -> forward(in, headers, get), sent)
                    .whenComplete((answer, error) -> {
                        judge(exchange, answer, error);
                        callback.done(false);
                    });
            return false;
        }

        private void judge(Exchange exchange, HttpAnswer answer, Throwable error) {
            DeliveryFailedException failure;
            String statusClass;
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                HttpFailure.Reason reason = cause instanceof HttpFailure http ? http.reason() : HttpFailure.Reason.CLOSED;
                statusClass = reason == HttpFailure.Reason.DEADLINE ? "timeout"
                        : reason == HttpFailure.Reason.CONNECT ? "connect" : "other";
                failure = new DeliveryFailedException(DeliveryFailedException.Kind.UNAVAILABLE, -1, 0,
                        cause.getMessage(), null);
            } else {
                int status = answer.status();
                statusClass = status / 100 + "xx";
                if (policy.delivered(status)) {
                    failure = null;
                } else {
                    failure = new DeliveryFailedException(policy.kind(status), status,
                            policy.retryAfterMillis(status, answer.retryAfter(), System.currentTimeMillis()),
                            "HTTP " + status + " " + HttpResponseStatus.valueOf(status).reasonPhrase(), null);
                }
            }
            if (listener != null) {
                listener.requested(exchange, masked, statusClass, failure == null);
            }
            NsqMessageControl control = exchange.getProperty(NsqConstants.CONTROL, NsqMessageControl.class);
            if (control != null) {
                if (failure != null && failure.kind() == DeliveryFailedException.Kind.UNAVAILABLE) {
                    control.downstreamUnavailable(failure.retryAfterMillis(), failure.getMessage());
                } else {
                    control.downstreamAvailable();
                }
            }
            if (failure == null) {
                exchange.setProperty(DELIVERED, true);
            } else {
                exchange.setException(failure);
            }
        }
    }

    /** Copies the message's headers to the request, but Camel's own and those HTTP itself manages. */
    private static void forward(Message in, HttpHeaders headers, boolean get) {
        for (Map.Entry<String, Object> header : in.getHeaders().entrySet()) {
            String name = header.getKey();
            Object value = header.getValue();
            if (value == null || name.regionMatches(true, 0, "Camel", 0, 5) || name.startsWith("org.apache.camel")) {
                continue;
            }
            if (NOT_FORWARDED.contains(name) || (get && name.equalsIgnoreCase("content-type"))) {
                continue;
            }
            headers.set(name, value.toString());
        }
    }

    /** go-hostpool's choice over the endpoints, with failover to another one when a request fails. */
    private static final class HostPoolBalancer extends LoadBalancerSupport {

        private final HostPool pool;

        HostPoolBalancer(HostPool pool) {
            this.pool = pool;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            attempt(exchange, callback, -1, 0);
            return false;
        }

        private void attempt(Exchange exchange, AsyncCallback callback, int previous, int tried) {
            AsyncProcessor[] processors = doGetProcessors();
            int index = pool.pick(System.nanoTime(), previous);
            processors[index].process(exchange, doneSync -> {
                if (exchange.getException() == null) {
                    pool.succeeded(index);
                    callback.done(false);
                    return;
                }
                boolean elsewhere = isTriedElsewhere(exchange.getException());
                if (elsewhere) {
                    pool.failed(index, System.nanoTime()); // not for a status no endpoint would take
                }
                if (tried + 1 < processors.length && elsewhere) {
                    exchange.setException(null);
                    exchange.removeProperty(DeadLetterRecord.ENDPOINT);
                    attempt(exchange, callback, index, tried + 1);
                } else {
                    callback.done(false);
                }
            });
        }
    }

    // --------------------------------------------------------------------------------- template parameters

    public void setUrl(String url) {
        this.url = url == null ? "" : url;
    }

    public void setMode(String mode) {
        String chosen = (String) Settings.get("push.mode").parseParameter(mode);
        this.mode = chosen.equals("epsilon-greedy") ? "hostpool" : chosen;
    }

    public void setMethod(String method) {
        this.method = HttpMethod.valueOf((String) Settings.get("push.method").parseParameter(method));
    }

    public void setTimeout(String timeout) {
        this.timeoutMillis = (Long) Settings.get("push.timeout").parseParameter(timeout);
    }

    public void setConnectTimeout(String connectTimeout) {
        this.connectTimeoutMillis = (Long) Settings.get("push.connect-timeout").parseParameter(connectTimeout);
    }

    public void setMaxRetryAfter(String maxRetryAfter) {
        this.maxRetryAfterMillis = (Long) Settings.get("push.max-retry-after").parseParameter(maxRetryAfter);
    }

    public void setPause(String pause) {
        this.pauseMillis = (Long) Settings.get("push.pause").parseParameter(pause);
    }

    public void setMaxPause(String maxPause) {
        this.maxPauseMillis = (Long) Settings.get("push.max-pause").parseParameter(maxPause);
    }

    public void setRedeliveries(String redeliveries) {
        this.redeliveries = (Long) Settings.get("push.redeliveries").parseParameter(redeliveries);
    }

    public void setRedeliveryDelay(String redeliveryDelay) {
        this.redeliveryDelayMillis = (Long) Settings.get("push.redelivery-delay").parseParameter(redeliveryDelay);
    }

    public void setSuccessOn(String successOn) {
        this.successOn = (StatusCodes) Settings.get("push.success-on").parseParameter(successOn);
    }

    public void setDeadLetterOn(String deadLetterOn) {
        StatusCodes codes = (StatusCodes) Settings.get("push.dead-letter-on").parseParameter(deadLetterOn);
        if (codes.hasSuccess()) {
            throw new InvalidValueException("deadLetterOn", codes.toString(), "holds a 2xx status, which is always"
                    + " delivered", StatusCodes.ALLOWED + " outside 200-299");
        }
        this.deadLetterOn = codes;
    }

    public void setSigningSecret(String signingSecret) {
        this.signer = (WebhookSigner) Settings.get("push.signing-secret").parseParameter(signingSecret);
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }
}
