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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Asks nsqlookupd which nsqd nodes produce a topic ({@code GET /lookup?topic=T}, for consumers) or which nsqd nodes
 * exist at all ({@code GET /nodes}, for a producer without an nsqd address). A topic nobody has produced yet is a
 * 404 (TOPIC_NOT_FOUND) and yields no producers, not an error. Both answer shapes are read: the plain one and the
 * {@code {"status_code":200,"data":{…}}} wrapper of older servers.
 */
public final class NsqLookupd {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;

    /** @param executor runs the HTTP client's callbacks (the caller's, so that its threads are the caller's) */
    public NsqLookupd(Executor executor, Duration connectTimeout) {
        this.http = HttpClient.newBuilder().executor(executor).connectTimeout(connectTimeout).build();
    }

    /**
     * @param lookupd {@code host:port} or an {@code http(s)://} URL of nsqlookupd's HTTP interface
     * @return the producers' TCP addresses (broadcast_address:tcp_port)
     */
    public CompletableFuture<List<NsqAddress>> lookup(String lookupd, String topic, Duration timeout) {
        return get(lookupd, "/lookup?topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8), timeout, true);
    }

    /**
     * @param lookupd {@code host:port} or an {@code http(s)://} URL of nsqlookupd's HTTP interface
     * @return every nsqd registered with it (broadcast_address:tcp_port), whatever topics they hold
     */
    public CompletableFuture<List<NsqAddress>> nodes(String lookupd, Duration timeout) {
        return get(lookupd, "/nodes", timeout, false);
    }

    /** @param notFoundIsNone a 404 means "no producers" (an unknown topic), not a failure */
    private CompletableFuture<List<NsqAddress>> get(String lookupd, String pathAndQuery, Duration timeout,
                                                    boolean notFoundIsNone) {
        URI uri = URI.create(baseUri(lookupd) + pathAndQuery);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Accept", "application/vnd.nsq; version=1.0").GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() == 404 && notFoundIsNone) {
                return List.of();
            }
            if (response.statusCode() != 200) {
                throw new NsqException("nsqlookupd " + lookupd + " answered HTTP " + response.statusCode());
            }
            return producers(lookupd, response.body());
        });
    }

    /**
     * @param lookupd {@code host:port} or an {@code http(s)://} URL
     * @return its base URI, without a trailing slash
     * @throws IllegalArgumentException naming the value, when it has no host
     */
    public static URI baseUri(String lookupd) {
        String text = lookupd == null ? "" : lookupd.trim();
        String url = text.startsWith("http://") || text.startsWith("https://") ? text : "http://" + text;
        try {
            URI uri = new URI(url.replaceAll("/+$", ""));
            if (uri.getHost() == null) {
                throw new URISyntaxException(url, "no host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + lookupd + "' is not an nsqlookupd HTTP address: allowed host:port"
                    + " or an http(s):// URL, e.g. 127.0.0.1:4161");
        }
    }

    static List<NsqAddress> producers(String lookupd, byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new NsqException("nsqlookupd " + lookupd + " answered something that is not JSON", e);
        }
        JsonNode data = root.has("data") && root.get("data").isObject() ? root.get("data") : root;
        List<NsqAddress> producers = new ArrayList<>();
        for (JsonNode producer : data.path("producers")) {
            String host = producer.path("broadcast_address").asText("");
            int port = producer.path("tcp_port").asInt(0);
            if (!host.isEmpty() && port > 0 && port < 65536) {
                NsqAddress address = new NsqAddress(host, port);
                if (!producers.contains(address)) {
                    producers.add(address);
                }
            }
        }
        return producers;
    }
}
