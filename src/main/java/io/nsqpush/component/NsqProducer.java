package io.nsqpush.component;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqConnection;
import io.nsqpush.nsq.NsqConnectionListener;
import io.nsqpush.nsq.NsqException;
import io.nsqpush.nsq.NsqLookupd;
import io.nsqpush.nsq.NsqMessage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Publishes the body to the endpoint's topic: PUB, MPUB for a {@link Collection} body, DPUB when
 * {@code CamelNsqDeferMs} is set. The exchange fails when nsqd answers an error or cannot be reached.
 * <p>
 * Where to, so that a bridge that only knows lookupd can publish (dead letters) as NSQ's own tools do: {@code servers},
 * the first that answers; else the nsqd the exchange's message came from ({@code CamelNsqAddress}); else the first
 * nsqd that answers of those lookupd lists ({@code /nodes}, asked again for every new connection); else
 * localhost:4150. Connections are opened on first use and again after a loss: one per nsqd named by the header, one
 * for the rest. Nothing blocks a thread.
 */
public class NsqProducer extends DefaultAsyncProducer {

    private static final Duration LOOKUPD_TIMEOUT = Duration.ofSeconds(10);

    private final NsqConfiguration configuration;
    /** servers, or localhost:4150 when neither servers nor lookupd is set; empty: ask lookupd */
    private final List<NsqAddress> fixed;
    /** whether CamelNsqAddress may choose the nsqd: only when servers is not set */
    private final boolean followSource;
    private NsqClientOptions options;
    private ExecutorService continuations;
    private NsqLookupd lookupd;
    private CompletableFuture<NsqConnection> shared;
    private final Map<NsqAddress, CompletableFuture<NsqConnection>> bySource = new HashMap<>();

    public NsqProducer(NsqEndpoint endpoint) {
        super(endpoint);
        this.configuration = endpoint.getConfiguration();
        this.fixed = configuration.staticServers();
        this.followSource = NsqAddress.parseList(configuration.getServers()).isEmpty();
    }

    @Override
    public NsqEndpoint getEndpoint() {
        return (NsqEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        options = configuration.toClientOptions();
        // nsqd's answers arrive on the event loop; the route must continue elsewhere, it may block
        continuations = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newCachedThreadPool(this, "NsqProducer[" + configuration.getTopic() + "]");
        if (fixed.isEmpty()) {
            lookupd = new NsqLookupd(continuations, Duration.ofMillis(configuration.getConnectTimeout()));
        }
    }

    @Override
    protected void doStop() throws Exception {
        List<CompletableFuture<NsqConnection>> open = new ArrayList<>();
        synchronized (this) {
            if (shared != null) {
                open.add(shared);
            }
            open.addAll(bySource.values());
            shared = null;
            bySource.clear();
        }
        // also connections still being opened: closed once they are
        CompletableFuture.allOf(open.stream().map(c -> c.thenCompose(NsqConnection::close)
                .exceptionally(e -> null)).toArray(CompletableFuture[]::new))
                .orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        if (continuations != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdown(continuations);
        }
        super.doStop();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        CompletableFuture<Void> published;
        try {
            published = publish(exchange.getMessage());
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        published.whenComplete((ok, error) -> {
            Runnable finish = () -> {
                if (error != null) {
                    exchange.setException(error instanceof CompletionException ? error.getCause() : error);
                }
                callback.done(false);
            };
            try {
                continuations.execute(finish);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                finish.run(); // never leave the exchange waiting
            }
        });
        return false;
    }

    private CompletableFuture<Void> publish(Message message) throws Exception {
        Function<NsqConnection, CompletableFuture<Void>> command = command(message);
        return connection(message).thenCompose(command);
    }

    /** @return the PUB, MPUB or DPUB of the message, checked before any connection is opened */
    private Function<NsqConnection, CompletableFuture<Void>> command(Message message) throws Exception {
        String topic = configuration.getTopic();
        Long deferMs = message.getHeader(NsqConstants.DEFER_MS, Long.class);
        Object body = message.getBody();
        if (body instanceof Collection<?> items) {
            if (deferMs != null) {
                throw new IllegalArgumentException("cannot DPUB a list: nsqd has no deferred MPUB; publish the items"
                        + " one by one");
            }
            List<byte[]> bodies = new ArrayList<>(items.size());
            for (Object item : items) {
                bodies.add(requireNotEmpty(message.getExchange().getContext().getTypeConverter()
                        .mandatoryConvertTo(byte[].class, message.getExchange(), item)));
            }
            if (bodies.isEmpty()) {
                throw new IllegalArgumentException("cannot MPUB an empty list to nsq:" + topic);
            }
            return c -> c.multiPublish(topic, bodies);
        }
        byte[] bytes = requireNotEmpty(message.getMandatoryBody(byte[].class));
        if (deferMs != null) {
            if (deferMs < 0 || deferMs > NsqConfiguration.MAX_REQUEUE_DELAY_MS) {
                throw new IllegalArgumentException(NsqConstants.DEFER_MS + " " + deferMs + " is out of range: allowed 0.."
                        + NsqConfiguration.MAX_REQUEUE_DELAY_MS);
            }
            return c -> c.deferredPublish(topic, deferMs, bytes);
        }
        return c -> c.publish(topic, bytes);
    }

    private static byte[] requireNotEmpty(byte[] body) {
        if (body.length == 0) {
            // nsqd answers an empty body with a fatal E_BAD_MESSAGE and drops the connection
            throw new IllegalArgumentException("cannot publish an empty message body: nsqd rejects it");
        }
        return body;
    }

    /** @return the connection to publish the message through, opened when there is none or it was lost */
    private synchronized CompletableFuture<NsqConnection> connection(Message message) {
        String source = followSource ? message.getHeader(NsqConstants.ADDRESS, String.class) : null;
        if (source != null && !source.isBlank()) {
            NsqAddress address;
            try {
                address = NsqAddress.parse(source);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("header " + NsqConstants.ADDRESS + ": " + e.getMessage(), e);
            }
            return bySource.compute(address, (a, current) -> usable(current) ? current : connectTo(List.of(a), 0, null));
        }
        if (!usable(shared)) {
            shared = fixed.isEmpty() ? listedNodes().thenCompose(nodes -> connectTo(nodes, 0, null))
                    : connectTo(fixed, 0, null);
        }
        return shared;
    }

    private static boolean usable(CompletableFuture<NsqConnection> connection) {
        return connection != null && (!connection.isDone()
                || (!connection.isCompletedExceptionally() && connection.join().isActive()));
    }

    /** @return every nsqd the lookupds list, in their order; fails naming the lookupds when none is known */
    private CompletableFuture<List<NsqAddress>> listedNodes() {
        List<String> lookupds = configuration.lookupdAddresses();
        List<CompletableFuture<List<NsqAddress>>> answers = lookupds.stream()
                .map(l -> lookupd.nodes(l, LOOKUPD_TIMEOUT)).toList();
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).handle((ignored, e) -> {
            Set<NsqAddress> nodes = new LinkedHashSet<>();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < answers.size(); i++) {
                try {
                    nodes.addAll(answers.get(i).join());
                } catch (CompletionException failed) {
                    Throwable cause = failed.getCause();
                    failures.add("nsqlookupd " + lookupds.get(i) + " is unreachable ("
                            + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName())
                            + ")");
                }
            }
            if (nodes.isEmpty()) {
                throw new NsqException("no nsqd known to publish to nsq:" + configuration.getTopic() + ": "
                        + (failures.isEmpty() ? "nsqlookupd " + String.join(", ", lookupds) + " lists none"
                        : String.join("; ", failures)));
            }
            return List.copyOf(nodes);
        });
    }

    /** @return a connection to the first of the addresses that answers, from index on */
    private CompletableFuture<NsqConnection> connectTo(List<NsqAddress> addresses, int index, Throwable previous) {
        if (index >= addresses.size()) {
            return CompletableFuture.failedFuture(previous != null && previous.getCause() instanceof NsqException
                    ? previous.getCause() : previous);
        }
        return getEndpoint().getComponent().connector().connect(addresses.get(index), options, IGNORE_MESSAGES)
                .handle((c, error) -> c != null ? CompletableFuture.completedFuture(c)
                        : connectTo(addresses, index + 1, error))
                .thenCompose(f -> f);
    }

    /** A producer connection never subscribes, so nsqd sends it no messages. */
    private static final NsqConnectionListener IGNORE_MESSAGES = new NsqConnectionListener() {
        @Override
        public void onMessage(NsqConnection connection, NsqMessage message) {
        }

        @Override
        public void onClose(NsqConnection connection, Throwable cause) {
        }
    };
}
