package io.nsqpush.component;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqConnection;
import io.nsqpush.nsq.NsqConnectionListener;
import io.nsqpush.nsq.NsqException;
import io.nsqpush.nsq.NsqMessage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;

/**
 * Publishes the body to the endpoint's topic: PUB, MPUB for a {@link Collection} body, DPUB when
 * {@code CamelNsqDeferMs} is set. The exchange fails when nsqd answers an error or cannot be reached. One connection is
 * kept and shared; it is opened on first use (to the first configured nsqd that answers) and again after a loss.
 */
public class NsqProducer extends DefaultAsyncProducer {

    private final NsqConfiguration configuration;
    private final List<NsqAddress> addresses;
    private NsqClientOptions options;
    private ExecutorService continuations;
    private CompletableFuture<NsqConnection> connection;

    public NsqProducer(NsqEndpoint endpoint) {
        super(endpoint);
        this.configuration = endpoint.getConfiguration();
        this.addresses = configuration.staticServers();
    }

    @Override
    public NsqEndpoint getEndpoint() {
        return (NsqEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("servers is required to publish to nsq:" + configuration.getTopic()
                    + " (lookupd only finds nsqd nodes to consume from)");
        }
        options = configuration.toClientOptions();
        // nsqd's answers arrive on the event loop; the route must continue elsewhere, it may block
        continuations = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newCachedThreadPool(this, "NsqProducer[" + configuration.getTopic() + "]");
    }

    @Override
    protected void doStop() throws Exception {
        CompletableFuture<NsqConnection> current;
        synchronized (this) {
            current = connection;
            connection = null;
        }
        if (current != null) {
            // also a connection still being opened: close it once it is
            current.thenCompose(NsqConnection::close).orTimeout(5, java.util.concurrent.TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
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
            return connection().thenCompose(c -> c.multiPublish(topic, bodies));
        }
        byte[] bytes = requireNotEmpty(message.getMandatoryBody(byte[].class));
        if (deferMs != null) {
            if (deferMs < 0 || deferMs > NsqConfiguration.MAX_REQUEUE_DELAY_MS) {
                throw new IllegalArgumentException(NsqConstants.DEFER_MS + " " + deferMs + " is out of range: allowed 0.."
                        + NsqConfiguration.MAX_REQUEUE_DELAY_MS);
            }
            return connection().thenCompose(c -> c.deferredPublish(topic, deferMs, bytes));
        }
        return connection().thenCompose(c -> c.publish(topic, bytes));
    }

    private static byte[] requireNotEmpty(byte[] body) {
        if (body.length == 0) {
            // nsqd answers an empty body with a fatal E_BAD_MESSAGE and drops the connection
            throw new IllegalArgumentException("cannot publish an empty message body: nsqd rejects it");
        }
        return body;
    }

    /** @return the shared connection, opening one (trying each address in turn) when there is none or it was lost */
    private synchronized CompletableFuture<NsqConnection> connection() {
        CompletableFuture<NsqConnection> current = connection;
        boolean usable = current != null
                && (!current.isDone() || (!current.isCompletedExceptionally() && current.join().isActive()));
        if (!usable) {
            current = connectTo(0, null);
            connection = current;
        }
        return current;
    }

    private CompletableFuture<NsqConnection> connectTo(int index, Throwable previous) {
        if (index >= addresses.size()) {
            return CompletableFuture.failedFuture(previous != null && previous.getCause() instanceof NsqException
                    ? previous.getCause() : previous);
        }
        return getEndpoint().getComponent().connector().connect(addresses.get(index), options, IGNORE_MESSAGES)
                .handle((c, error) -> c != null ? CompletableFuture.completedFuture(c) : connectTo(index + 1, error))
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
