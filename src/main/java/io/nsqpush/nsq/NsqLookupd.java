package io.nsqpush.nsq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks nsqlookupd which nsqd nodes produce a topic ({@code GET /lookup?topic=T}, for consumers) or which nsqd nodes
 * exist at all ({@code GET /nodes}, for a producer without an nsqd address). A topic nobody has produced yet is a
 * 404 (TOPIC_NOT_FOUND) and yields no producers, not an error. Both answer shapes are read: the plain one and the
 * {@code {"status_code":200,"data":{…}}} wrapper of older servers.
 */
public final class NsqLookupd {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The largest answer read when the caller sets none. */
    public static final int DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024;

    private final HttpClient http;
    private final int maxBodySize;

    /** @param executor runs the HTTP client's callbacks (the caller's, so that its threads are the caller's) */
    public NsqLookupd(Executor executor, Duration connectTimeout) {
        this(executor, connectTimeout, DEFAULT_MAX_BODY_SIZE);
    }

    /** @param maxBodySize the largest answer read: a longer one fails the request ({@link BodyTooLargeException}) */
    public NsqLookupd(Executor executor, Duration connectTimeout, int maxBodySize) {
        this.http = HttpClient.newBuilder().executor(executor).connectTimeout(connectTimeout).build();
        this.maxBodySize = maxBodySize;
    }

    /** A lookupd answer with a body over the limit; what was read of it is dropped. */
    public static final class BodyTooLargeException extends NsqException {
        BodyTooLargeException(String message) {
            super(message);
        }
    }

    /** The producers of an answer, and those left out because their address cannot be an nsqd's. */
    public record Answer(List<NsqAddress> producers, List<String> impossible) {
    }

    /**
     * @param lookupd {@code host:port} or an {@code http(s)://} URL of nsqlookupd's HTTP interface
     * @return the producers' TCP addresses (broadcast_address:tcp_port)
     */
    public CompletableFuture<List<NsqAddress>> lookup(String lookupd, String topic, Duration timeout) {
        return lookupAnswer(lookupd, topic, timeout).thenApply(Answer::producers);
    }

    /** As {@link #lookup}, with the producers whose address was impossible (0.0.0.0, port 0 or above 65535). */
    public CompletableFuture<Answer> lookupAnswer(String lookupd, String topic, Duration timeout) {
        return get(lookupd, "/lookup?topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8), timeout, true);
    }

    /**
     * @param lookupd {@code host:port} or an {@code http(s)://} URL of nsqlookupd's HTTP interface
     * @return every nsqd registered with it (broadcast_address:tcp_port), whatever topics they hold
     */
    public CompletableFuture<List<NsqAddress>> nodes(String lookupd, Duration timeout) {
        return get(lookupd, "/nodes", timeout, false).thenApply(Answer::producers);
    }

    /**
     * The timeout is a deadline on the whole request, the body included: the HTTP client's own timeout ends at the
     * response headers, and a body trickled a byte a second would hold the poll for good.
     *
     * @param notFoundIsNone a 404 means "no producers" (an unknown topic), not a failure
     */
    private CompletableFuture<Answer> get(String lookupd, String pathAndQuery, Duration timeout,
                                          boolean notFoundIsNone) {
        URI uri = URI.create(baseUri(lookupd) + pathAndQuery);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Accept", "application/vnd.nsq; version=1.0").GET().build();
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(request,
                info -> new BoundedBody(maxBodySize, lookupd));
        CompletableFuture<Answer> answer = sent.thenApply(response -> {
            if (response.statusCode() == 404 && notFoundIsNone) {
                return new Answer(List.of(), List.of());
            }
            if (response.statusCode() != 200) {
                throw new NsqException("nsqlookupd " + lookupd + " answered HTTP " + response.statusCode());
            }
            return producers(lookupd, response.body());
        });
        long millis = timeout.toMillis();
        return answer.orTimeout(millis, TimeUnit.MILLISECONDS).whenComplete((a, error) -> {
            if (error != null) {
                sent.cancel(true); // stops reading a trickled body and lets the connection go
            }
        }).exceptionallyCompose(error -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof TimeoutException) {
                return CompletableFuture.failedFuture(new NsqException("nsqlookupd " + lookupd
                        + " did not send its whole answer within " + millis + " ms"));
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    /** Collects a body up to a limit; past it, stops reading and fails. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final String lookupd;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int limit, String lookupd) {
            this.limit = limit;
            this.lookupd = lookupd;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (bytes.size() + (long) buffer.remaining() > limit) {
                    subscription.cancel();
                    bytes.reset();
                    result.completeExceptionally(new BodyTooLargeException("nsqlookupd " + lookupd
                            + " sent an answer over " + limit + " bytes (lookupdMaxBodySize): not read further"));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }

    /**
     * @param lookupd {@code host:port} or an {@code http(s)://} URL
     * @return its base URI, without a trailing slash
     * @throws IllegalArgumentException naming the value, when it has no host
     */
    public static URI baseUri(String lookupd) {
        String text = lookupd == null ? "" : lookupd.trim();
        boolean http = text.startsWith("http://") || text.startsWith("https://");
        String url = http ? text : "http://" + text;
        try {
            URI uri = new URI(url.replaceAll("/+$", ""));
            // another scheme (ftp://host) would otherwise read as a host named after it
            if (uri.getHost() == null || (!http && text.contains("://"))) {
                throw new URISyntaxException(url, "no host, or not http(s)");
            }
            return uri;
        } catch (URISyntaxException e) {
            // without the address: it may carry a credential, and callers name it masked
            throw new IllegalArgumentException("not an nsqlookupd HTTP address: allowed host:port"
                    + " or an http(s):// URL, e.g. 127.0.0.1:4161");
        }
    }

    static Answer producers(String lookupd, byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new NsqException("nsqlookupd " + lookupd + " answered something that is not JSON", e);
        }
        JsonNode data = root.has("data") && root.get("data").isObject() ? root.get("data") : root;
        // a set: thousands of producers must not take a quadratic search
        Set<NsqAddress> producers = new LinkedHashSet<>();
        List<String> impossible = new ArrayList<>();
        for (JsonNode producer : data.path("producers")) {
            String host = producer.path("broadcast_address").asText("").trim();
            long port = producer.path("tcp_port").asLong(0);
            if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || port <= 0
                    || port > 65535) {
                impossible.add(host + ":" + producer.path("tcp_port").asText(""));
            } else {
                producers.add(new NsqAddress(host, (int) port));
            }
        }
        return new Answer(List.copyOf(producers), impossible);
    }
}
