package io.nsqpush.push;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.nsqpush.component.NsqMessageControl;
import io.nsqpush.http.HttpAnswer;
import io.nsqpush.http.HttpFailure;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;

/**
 * One exchange's requests: the body formatted once, sent to one URL and, when that fails in a way another URL might
 * not, to the next, until one delivers or every URL was tried. Each request has its own {@code x-cmq-request-id} (and
 * signature). Completes the exchange: delivered, or a {@link DeliveryFailedException} for the route's error handler.
 */
final class PushAttempt {

    /** Hop-by-hop and framing headers the client sets itself; looked up without case. */
    private static final Set<String> NOT_FORWARDED = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    static {
        NOT_FORWARDED.addAll(List.of("host", "content-length", "connection", "transfer-encoding", "keep-alive",
                "upgrade", "te", "trailer", "proxy-connection"));
    }

    private final PushProducer producer;
    private final Exchange exchange;
    private final NsqMessageControl control;
    private final AsyncCallback callback;
    private final boolean get;
    /** Requests refused for load so far; beyond {@link #MAX_REFUSALS} the failure takes its usual course. */
    static final int MAX_REFUSALS = 10;
    private int refusals;
    /** The callback was called: the exchange is the route's again. */
    private boolean completed;
    private ByteBuf body;
    private byte[] bytes;
    /** The message's dedupe key, webhook-id on every request. */
    private String key;
    /** The request's headers but its id and signature, worked out once for every URL tried. */
    private final List<Map.Entry<String, String>> fixed = new java.util.ArrayList<>();

    PushAttempt(PushProducer producer, Exchange exchange, NsqMessageControl control, AsyncCallback callback) {
        this.producer = producer;
        this.exchange = exchange;
        this.control = control;
        this.callback = callback;
        this.get = producer.method() == HttpMethod.GET;
    }

    void start() throws Exception {
        Message in = exchange.getIn();
        if (get) {
            bytes = in.getBody(byte[].class);
        } else {
            body = producer.format().body(in);
        }
        fixedHeaders(in);
        key = DedupeKey.of(exchange);
        send(producer.pick(-1), 0);
    }

    /** Waits for the URL's turn ({@link Pacing}), the message kept alive meanwhile, then sends. */
    private void send(int index, int tried) {
        wait(index, tried, false);
    }

    private void wait(int index, int tried, boolean again) {
        if (control != null) {
            control.keepAliveFor(producer.waitKeepAliveMillis()); // TOUCHed while it waits, however long
        }
        Pacing.Request request = new Pacing.Request() {
            @Override
            public void go(Pacing.Turn turn) {
                try {
                    transmit(index, tried, turn);
                } catch (RuntimeException | Error e) {
                    broke(turn, e);
                }
            }

            @Override
            public void cancelled(String reason) {
                exchange.setException(new DeliveryFailedException(DeliveryFailedException.Kind.UNAVAILABLE, -1, 0,
                        reason, null));
                done();
            }
        };
        producer.pacing().route(exchange.getFromRouteId());
        if (again) {
            producer.pacing().again(index, request);
        } else {
            producer.pacing().submit(index, request);
        }
    }

    private void transmit(int index, int tried, Pacing.Turn turn) {
        if (control != null && !control.mayDeliver()) {
            // paused while it waited (another message found the endpoint away): held like the others
            turn.ended();
            exchange.setException(new DeliveryFailedException(DeliveryFailedException.Kind.UNAVAILABLE, -1, 0,
                    "the subscription is paused", null));
            done();
            return;
        }
        if (control != null) {
            control.keepAliveFor(producer.keepAliveMillis()); // TOUCH while this request can take and no longer
        }
        PushProducer.Target target = producer.targets().get(index);
        exchange.setProperty(PushConstants.ENDPOINT, target.masked());
        if (producer.listener() != null) {
            producer.listener().paced(exchange, producer.pacingStatus());
        }
        String path = get ? target.http().pathAndQuery().replace("%s",
                QueryEscape.escape(bytes == null ? new byte[0] : bytes)) : target.http().pathAndQuery();
        long sent = System.nanoTime();
        producer.client().send(target.http(), producer.method(), path, this::headers,
                        body == null ? null : body.retainedDuplicate(), producer.timeoutMillis())
                .whenComplete((answer, error) -> {
                    try {
                        judged(index, tried, turn, answer, error, sent);
                    } catch (RuntimeException | Error e) {
                        broke(turn, e); // the future would swallow it, and the exchange would never complete
                    }
                });
    }

    /** A bug of ours met this attempt: it fails (the route's error handler decides) instead of hanging unanswered. */
    private void broke(Pacing.Turn turn, Throwable e) {
        turn.ended();
        if (!completed) {
            exchange.setException(e instanceof Exception checked ? checked : new IllegalStateException(e));
            done();
        }
    }

    /** CMQ's headers; the exchange's own headers win over them (a route that set one meant it). */
    private void fixedHeaders(Message in) throws Exception {
        Map<String, String> all = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        producer.format().headers(in, (name, value) -> all.put(name, value.toString()));
        for (Map.Entry<String, Object> header : in.getHeaders().entrySet()) {
            String name = header.getKey();
            Object value = header.getValue();
            if (value == null || name.regionMatches(true, 0, "Camel", 0, 5) || name.startsWith("org.apache.camel")
                    || NOT_FORWARDED.contains(name)) {
                continue;
            }
            all.put(name, value.toString());
        }
        if (get) {
            all.remove("Content-Type");
        }
        fixed.addAll(all.entrySet());
    }

    /** The request's headers: the fixed ones, a new request id, the dedupe key and a signature of this request. */
    private void headers(HttpHeaders headers) {
        for (Map.Entry<String, String> header : fixed) {
            headers.set(header.getKey(), header.getValue());
        }
        headers.set(CmqHeaders.REQUEST_ID, CmqRequestId.newId());
        headers.set(WebhookSigner.ID, key);
        WebhookSigner signer = producer.signer();
        if (signer != null) {
            long timestamp = System.currentTimeMillis() / 1000;
            headers.set(WebhookSigner.TIMESTAMP, timestamp);
            headers.set(WebhookSigner.SIGNATURE, signer.sign(key, timestamp, body));
        }
    }

    private void judged(int index, int tried, Pacing.Turn turn, HttpAnswer answer, Throwable error, long sent) {
        PushProducer.Target target = producer.targets().get(index);
        DeliveryFailedException failure;
        String statusClass;
        int status = -1;
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            HttpFailure.Reason reason = cause instanceof HttpFailure http ? http.reason() : HttpFailure.Reason.CLOSED;
            statusClass = switch (reason) {
                case DEADLINE -> "timeout";
                case CONNECT -> "connect";
                case PROTOCOL -> "protocol";
                case QUEUE -> "queue";
                default -> "other";
            };
            // no answer that says anything about this message: the endpoint is away (the subscription pauses)
            failure = new DeliveryFailedException(DeliveryFailedException.Kind.UNAVAILABLE, -1, 0,
                    cause.getMessage(), null);
        } else {
            status = answer.status();
            exchange.getMessage().setHeader(PushConstants.RESPONSE_CODE, status);
            statusClass = status / 100 + "xx";
            if (producer.policy().delivered(status)) {
                failure = null;
            } else {
                failure = new DeliveryFailedException(producer.policy().kind(status), status,
                        producer.policy().retryAfterMillis(status, answer.retryAfter(), System.currentTimeMillis()),
                        "HTTP " + status + " " + HttpResponseStatus.valueOf(status).reasonPhrase(), null);
            }
        }
        DeliveryListener listener = producer.listener();
        if (listener != null) {
            listener.requested(exchange, new DeliveryListener.Request(target.masked(), statusClass, status,
                    failure == null, (System.nanoTime() - sent) / 1_000_000,
                    failure == null ? null : failure.getMessage(), key));
        }
        if (paced(index, tried, turn, failure)) {
            return;
        }
        if (failure == null || failure.kind() != DeliveryFailedException.Kind.PERMANENT) {
            producer.outcome(index, failure == null);
        }
        if (control != null) {
            if (failure != null && failure.kind() == DeliveryFailedException.Kind.UNAVAILABLE) {
                control.downstreamUnavailable(failure.retryAfterMillis(), failure.getMessage());
            } else {
                control.downstreamAvailable();
            }
        }
        if (failure == null) {
            exchange.setProperty(PushConstants.DELIVERED, true);
            done();
        } else if (tried + 1 < producer.targets().size() && failure.kind() != DeliveryFailedException.Kind.PERMANENT
                && (control == null || control.mayDeliver())) {
            send(producer.pick(index), tried + 1); // another URL may take it
        } else {
            exchange.setException(failure);
            done();
        }
    }

    /**
     * Tells the URL's pacing what the answer says about load (429, or 503, without Retry-After, lower its rate). A 429
     * is no failure of this message: it waits its turn again, at the lowered rate, up to {@link #MAX_REFUSALS} times.
     *
     * @return true when the request waits again
     */
    private boolean paced(int index, int tried, Pacing.Turn turn, DeliveryFailedException failure) {
        if (failure == null || failure.status() < 0 || failure.kind() != DeliveryFailedException.Kind.UNAVAILABLE
                || failure.retryAfterMillis() > 0 || (failure.status() != 429 && failure.status() != 503)) {
            if (failure == null || failure.status() > 0) {
                turn.accepted();
            } else {
                turn.ended();
            }
            return false;
        }
        // a 503 slows the URL down but takes its usual course: one message's 503 may be about that message
        if (turn.refused(failure.status()) != AdaptiveRate.Verdict.RATE_LIMITED || failure.status() != 429
                || ++refusals > MAX_REFUSALS
                || (control != null && !control.mayDeliver())) {
            return false;
        }
        wait(index, tried, true);
        return true;
    }

    private void done() {
        completed = true;
        if (body != null) {
            body.release();
        }
        callback.done(false);
    }
}
