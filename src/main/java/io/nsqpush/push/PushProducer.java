package io.nsqpush.push;

import io.netty.handler.codec.http.HttpMethod;
import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqMessageControl;
import io.nsqpush.http.HttpClient;
import io.nsqpush.http.HttpTarget;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delivers each exchange as an HTTP request, without a blocked thread: formats it ({@link CmqFormat}), picks one of
 * the endpoint's URLs, sends it through the component's shared client and judges the answer ({@link ResponsePolicy}).
 * A request that fails is tried on another URL first; what still fails becomes a {@link DeliveryFailedException} on the
 * exchange, for the route's redelivery policy and dead-letter channel. Lifecycle only: one exchange's requests are a
 * {@link PushAttempt}.
 * <p>
 * When the exchange comes from an {@code nsq:} consumer ({@link NsqConstants#CONTROL}), the producer tells it what the
 * endpoint does, so that an endpoint that is away pauses the subscription instead of spending attempts, sends nothing
 * while it is paused (unless this message is its probe), and keeps the message alive (TOUCH) while a request is under
 * way and no longer.
 */
public class PushProducer extends DefaultAsyncProducer {

    /** Beyond a request's own deadline: the wait for a free connection and the route's redelivery delay. */
    static final long KEEP_ALIVE_SLACK_MILLIS = 65_000;
    /** A failed URL is left out of hostpool's choice this long at first, doubling up to the maximum. */
    static final long HOSTPOOL_FIRST_PAUSE_MILLIS = 1_000;
    static final long HOSTPOOL_MAX_PAUSE_MILLIS = 60_000;
    /** Keep-alive while waiting: the consumer caps it at its maxProcessingTime (nsqd at its max_msg_timeout). */
    static final long WAIT_KEEP_ALIVE_MILLIS = 86_400_000;

    private final PushConfiguration configuration;
    private CmqFormat format;
    private ResponsePolicy policy;
    private WebhookSigner signer;
    private HttpMethod method;
    private List<Target> targets;
    private HostPool hostPool;
    private final AtomicInteger turn = new AtomicInteger();
    private HttpClient client;
    private DeliveryListener listener;
    private long keepAliveMillis;
    private Pacing pacing;

    /** One of the endpoint's URLs. */
    record Target(HttpTarget http, String masked) {
    }

    public PushProducer(PushEndpoint endpoint) {
        super(endpoint);
        this.configuration = endpoint.getConfiguration();
    }

    @Override
    public PushEndpoint getEndpoint() {
        return (PushEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        format = new CmqFormat(configuration);
        method = HttpMethod.valueOf(configuration.getMethod());
        policy = new ResponsePolicy(StatusCodes.parse("successOn", configuration.getSuccessOn()),
                StatusCodes.parse("deadLetterOn", configuration.getDeadLetterOn()), configuration.isGet(),
                configuration.getMaxRetryAfter());
        signer = WebhookSigner.of("signingSecret", configuration.getSigningSecret());
        List<Target> all = new ArrayList<>();
        for (String url : EndpointUrls.parse("url", configuration.getUrl(), configuration.isGet())) {
            all.add(new Target(HttpTarget.parse(url), Redaction.uri(url)));
        }
        targets = List.copyOf(all);
        hostPool = new HostPool(targets.size(), HOSTPOOL_FIRST_PAUSE_MILLIS, HOSTPOOL_MAX_PAUSE_MILLIS);
        client = getEndpoint().getComponent().client();
        // metrics and the delivery log alike: every listener in the registry
        listener = DeliveryListener.of(getEndpoint().getCamelContext().getRegistry().findByType(DeliveryListener.class));
        keepAliveMillis = configuration.getTimeout() * targets.size() + client.options().connectTimeoutMs()
                + KEEP_ALIVE_SLACK_MILLIS;
        pacing = new Pacing(System::nanoTime, getEndpoint().getComponent().pacingTimer(),
                configuration.getRateLimit(), configuration.getConcurrency(),
                targets.stream().map(Target::masked).toList());
    }

    @Override
    protected void doStop() throws Exception {
        if (pacing != null) {
            pacing.stop();
        }
        super.doStop();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        NsqMessageControl control = exchange.getProperty(NsqConstants.CONTROL, NsqMessageControl.class);
        if (configuration.getSample() < 1.0 && ThreadLocalRandom.current().nextDouble() >= configuration.getSample()
                && exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER) == null) {
            exchange.setProperty(PushConstants.SKIPPED, true);
            callback.done(true);
            return true;
        }
        if (control != null && !control.mayDeliver()) {
            // paused: no request until the probe says the endpoint is back; the message is held meanwhile
            exchange.setException(new DeliveryFailedException(DeliveryFailedException.Kind.UNAVAILABLE, -1, 0,
                    "the subscription is paused", null));
            callback.done(true);
            return true;
        }
        try {
            new PushAttempt(this, exchange, control, callback).start();
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------------- what an attempt works with

    CmqFormat format() {
        return format;
    }

    ResponsePolicy policy() {
        return policy;
    }

    WebhookSigner signer() {
        return signer;
    }

    HttpMethod method() {
        return method;
    }

    HttpClient client() {
        return client;
    }

    Pacing pacing() {
        return pacing;
    }

    /** @return how long one request can take, from the turn to the end of its answer */
    long keepAliveMillis() {
        return keepAliveMillis;
    }

    /** @return how long a message is kept alive while its request waits for its turn: as long as the consumer allows */
    long waitKeepAliveMillis() {
        return WAIT_KEEP_ALIVE_MILLIS;
    }

    /** @return how fast it sends now, for metrics */
    public PacingStatus pacingStatus() {
        return pacing;
    }

    long timeoutMillis() {
        return configuration.getTimeout();
    }

    DeliveryListener listener() {
        return listener;
    }

    List<Target> targets() {
        return targets;
    }

    /**
     * @param previous the index tried last for this exchange, or -1
     * @return the index of the URL to send to: in turn (round-robin), or hostpool's choice
     */
    int pick(int previous) {
        if (targets.size() == 1) {
            return 0;
        }
        if ("round-robin".equals(configuration.getMode())) {
            return previous >= 0 ? (previous + 1) % targets.size()
                    : Math.floorMod(turn.getAndIncrement(), targets.size());
        }
        return hostPool.pick(System.nanoTime(), previous);
    }

    /** What a request to a URL showed: hostpool leaves out a failing one for a while. */
    void outcome(int index, boolean answered) {
        if (targets.size() > 1) {
            if (answered) {
                hostPool.succeeded(index);
            } else {
                hostPool.failed(index, System.nanoTime());
            }
        }
    }
}
