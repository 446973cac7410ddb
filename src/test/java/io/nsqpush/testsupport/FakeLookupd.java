package io.nsqpush.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An nsqlookupd on the JDK's HTTP server that lists the nsqd addresses it is given as the producers of every topic
 * ({@code /lookup}, 404 TOPIC_NOT_FOUND while it lists none) and as every node ({@code /nodes}), with nsqlookupd's
 * answer shapes. It records each request path and query.
 */
public final class FakeLookupd implements AutoCloseable {

    private final HttpServer server;
    private volatile List<String> nodes = List.of();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private FakeLookupd() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/lookup", exchange -> answer(exchange, true));
        server.createContext("/nodes", exchange -> answer(exchange, false));
        server.start();
    }

    public static FakeLookupd start() throws IOException {
        return new FakeLookupd();
    }

    /** @param addresses nsqd TCP addresses, host:port, listed from now on instead of the previous ones */
    public FakeLookupd list(String... addresses) {
        nodes = List.of(addresses);
        return this;
    }

    /** @return host:port of its HTTP interface */
    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** @return every request's path and query ("/nodes", "/lookup?topic=orders"), in order */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    private void answer(HttpExchange exchange, boolean lookup) throws IOException {
        String query = exchange.getRequestURI().getRawQuery();
        requests.add(exchange.getRequestURI().getPath() + (query == null ? "" : "?" + query));
        List<String> nodes = this.nodes;
        StringBuilder json = new StringBuilder(lookup ? "{\"channels\":[],\"producers\":[" : "{\"producers\":[");
        for (int i = 0; i < nodes.size(); i++) {
            int colon = nodes.get(i).lastIndexOf(':');
            json.append(i > 0 ? "," : "").append("{\"remote_address\":\"127.0.0.1:1\",\"hostname\":\"test\",")
                    .append("\"broadcast_address\":\"").append(nodes.get(i), 0, colon).append("\",\"tcp_port\":")
                    .append(nodes.get(i).substring(colon + 1)).append(",\"http_port\":4151,\"version\":\"1.3.0\"")
                    .append(lookup ? "" : ",\"tombstones\":[],\"topics\":[]").append('}');
        }
        boolean notFound = lookup && nodes.isEmpty();
        byte[] body = (notFound ? "{\"message\":\"TOPIC_NOT_FOUND\"}" : json.append("]}").toString())
                .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(notFound ? 404 : 200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
