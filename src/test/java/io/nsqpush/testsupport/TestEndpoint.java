package io.nsqpush.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;

/**
 * A real HTTP endpoint (the JDK's HttpServer) that records every request and answers with a status chosen per request.
 * A status of {@link #NO_ANSWER} keeps the request open until {@link #close()}: an endpoint that never answers.
 */
public final class TestEndpoint implements AutoCloseable {

    public static final int NO_ANSWER = -1;
    /** A 200 whose body then comes one byte every 100 ms for a minute: an answer that never completes in time. */
    public static final int TRICKLE = -2;

    /** One request as the endpoint received it; header names are lower case. */
    public record Request(String method, String path, Map<String, String> headers, byte[] body, long receivedAtNanos) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String bodyUtf8() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-endpoint");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile IntUnaryOperator status = n -> 200;
    private volatile long delayMillis;
    private final java.util.concurrent.atomic.AtomicInteger concurrent = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger maxConcurrent = new java.util.concurrent.atomic.AtomicInteger();
    private volatile java.util.function.IntFunction<Map<String, String>> answerHeaders = n -> Map.of();

    private TestEndpoint(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 512);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static TestEndpoint start() throws IOException {
        return new TestEndpoint(0);
    }

    /** On a given port: an endpoint that comes back where it was. */
    public static TestEndpoint start(int port) throws IOException {
        return new TestEndpoint(port);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** @param status the status for the n-th request (0-based), or {@link #NO_ANSWER} */
    public TestEndpoint answer(IntUnaryOperator status) {
        this.status = status;
        return this;
    }

    /** @param headers the headers of the answer to the n-th request (0-based), e.g. Retry-After */
    public TestEndpoint answerHeaders(java.util.function.IntFunction<Map<String, String>> headers) {
        this.answerHeaders = headers;
        return this;
    }

    /** Every answer comes this much later: a slow endpoint. */
    public TestEndpoint delay(long millis) {
        this.delayMillis = millis;
        return this;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> requestsFor(String messageId) {
        return requests.stream().filter(r -> messageId.equals(r.header("x-cmq-message-id"))).collect(Collectors.toList());
    }

    private void handle(HttpExchange exchange) throws IOException {
        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
        try {
            respond(exchange);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        } finally {
            concurrent.decrementAndGet();
        }
    }

    /** @return the most requests the endpoint was handling at the same time, from receipt to the answer sent */
    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    private void respond(HttpExchange exchange) throws IOException, InterruptedException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                String.join(",", values)));
        int index;
        synchronized (requests) {
            index = requests.size();
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body,
                    System.nanoTime()));
        }
        int code = status.applyAsInt(index);
        if (delayMillis > 0 && code != NO_ANSWER && closing.await(delayMillis, TimeUnit.MILLISECONDS)) {
            exchange.close();
            return;
        }
        if (code == NO_ANSWER) {
            try {
                closing.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
        }
        answerHeaders.apply(index).forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        if (code == TRICKLE) {
            trickle(exchange);
            return;
        }
        byte[] answer = ("status " + code).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(code, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
    }

    private void trickle(HttpExchange exchange) throws IOException, InterruptedException {
        int bytes = 600;
        exchange.sendResponseHeaders(200, bytes);
        try (java.io.OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < bytes && !closing.await(100, TimeUnit.MILLISECONDS); i++) {
                out.write('x');
                out.flush();
            }
        } catch (IOException clientGone) {
            // the client gave up: what a trickle is for
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    /** @return every request's header value for the name, in order */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>();
        requests.forEach(r -> values.add(r.header(name)));
        return values;
    }
}
