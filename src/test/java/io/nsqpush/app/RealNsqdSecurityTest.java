package io.nsqpush.app;

import com.sun.net.httpserver.HttpServer;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.RealNsqd;
import io.nsqpush.testsupport.RealNsqd.ChannelStats;
import io.nsqpush.testsupport.RealNsqd.ClientStats;
import io.nsqpush.testsupport.TestCertificates;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bridge against a real nsqd that requires TLS on TCP (certificates made by the test) and AUTH through an auth
 * HTTP server of the test (--auth-http-address, which nsqd asks GET /auth?secret=...&tls=...). One nsqd for the class.
 */
class RealNsqdSecurityTest {

    private static final String SECRET = "the-bridge's-secret";
    private static final String IDENTITY = "bridge@test";
    private static final String CHANNEL = "nsq-push";
    private static final TestCertificates CERTS = TestCertificates.generate();
    /** The query strings nsqd sent to the auth server. */
    private static final List<Map<String, String>> AUTH_QUERIES = new CopyOnWriteArrayList<>();

    private static HttpServer auth;
    private static RealNsqd nsqd;

    private TestEndpoint endpoint;
    private Bridge bridge;

    /** One nsqd for the class where it is installed; each test skips (or fails, when required) without it. */
    @BeforeAll
    static void start() throws Exception {
        if (RealNsqd.binary("nsqd").isEmpty()) {
            return;
        }
        auth = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        auth.createContext("/auth", exchange -> {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            AUTH_QUERIES.add(query);
            boolean known = SECRET.equals(query.get("secret"));
            byte[] body = (known ? "{\"ttl\":3600,\"identity\":\"" + IDENTITY + "\",\"identity_url\":\"\","
                    + "\"authorizations\":[{\"topic\":\"^secure-.*\",\"channels\":[\".*\"],"
                    + "\"permissions\":[\"subscribe\",\"publish\"]}]}" : "{\"message\":\"NOT_AUTHORIZED\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(known ? 200 : 403, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        auth.start();
        nsqd = RealNsqd.start("--tls-cert=" + CERTS.serverCertificatePem(), "--tls-key=" + CERTS.serverKeyPem(),
                "--tls-required=tcp-https", // TLS on every TCP connection; the test's HTTP API calls stay plain
                "--auth-http-address=127.0.0.1:" + auth.getAddress().getPort());
    }

    @AfterAll
    static void stopAll() {
        if (nsqd != null) {
            nsqd.close();
        }
        if (auth != null) {
            auth.stop(0);
        }
    }

    @BeforeEach
    void nsqdIsInstalled() {
        RealNsqd.assumeInstalled("nsqd");
    }

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        for (String pair : (raw == null ? "" : raw).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    private void bridge(String topic, String secret) throws Exception {
        endpoint = TestEndpoint.start().answer(n -> endpoint.requests().get(n).bodyUtf8().contains("bad") ? 400 : 200);
        Map<String, String> settings = new HashMap<>();
        settings.put("nsq.topic", topic);
        settings.put("nsq.channel", CHANNEL);
        settings.put("nsq.nsqd-tcp-addresses", nsqd.tcpAddress());
        settings.put("push.url", endpoint.url("/push"));
        settings.put("push.format", "SIMPLIFIED");
        settings.put("push.dead-letter-on", "400");
        settings.put("routes.reload-enabled", "false");
        // component-wide, so the dead-letter producer uses them too
        settings.put("camel.component.nsq.tls", "true");
        settings.put("camel.component.nsq.tls-trust-store", CERTS.trustStore().toString());
        settings.put("camel.component.nsq.tls-trust-store-password", CERTS.password());
        settings.put("camel.component.nsq.auth-secret", secret);
        settings.put("camel.component.nsq.compression", "snappy"); // TLS, then snappy inside it
        bridge = Bridge.start(settings);
    }

    @Test
    void overTlsWithAuthItDeliversAndDeadLettersAsTheIdentityNsqdAuthorized() throws Exception {
        String topic = "secure-orders";
        nsqd.createChannel(topic, CHANNEL);
        nsqd.publish(topic, "good one");
        nsqd.publish(topic, "bad one");
        bridge(topic, SECRET);

        await().atMost(Duration.ofSeconds(20)).until(() -> nsqd.channel(topic, CHANNEL).map(c -> c.finishCount() == 2
                && c.depth() == 0 && c.inFlightCount() == 0).orElse(false));
        ChannelStats channel = nsqd.channel(topic, CHANNEL).orElseThrow();
        assertEquals(1, channel.clients().size());
        ClientStats client = channel.clients().get(0);
        assertTrue(client.tls(), "nsqd counts the connection as TLS: " + client);
        assertTrue(client.tlsVersion().startsWith("TLS1."), client.toString());
        assertTrue(client.snappy(), "snappy inside TLS: " + client);
        assertTrue(client.authed(), client.toString());
        assertEquals(IDENTITY, client.authIdentity());
        Map<String, String> identify = nsqd.identifies().stream().filter(i -> i.get("remote")
                .equals(client.remoteAddress())).findFirst().orElseThrow(() -> new AssertionError(nsqd.log()));
        assertEquals("true", identify.get("TLSv1"), identify.toString());
        assertEquals("true", identify.get("Snappy"), identify.toString());
        assertEquals(0, channel.requeueCount());
        assertEquals(2, endpoint.requests().size());
        assertEquals(List.of("bad one", "good one"), endpoint.requests().stream().map(r -> r.bodyUtf8()).sorted()
                .toList());

        // the dead letter went out over TLS with AUTH too: nsqd took it on the dead-letter topic
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.messageCount(topic + ".dead-letter") == 1);
        List<Map<String, String>> asked = AUTH_QUERIES.stream().filter(q -> SECRET.equals(q.get("secret"))).toList();
        assertTrue(asked.size() >= 2, "nsqd asked the auth server for the consumer and the producer: " + AUTH_QUERIES);
        assertTrue(asked.stream().allMatch(q -> "true".equals(q.get("tls"))), "always over TLS: " + asked);
    }

    @Test
    void aWrongSecretIsRefusedByNsqdAndNothingIsConsumed() throws Exception {
        String topic = "secure-refused";
        nsqd.createChannel(topic, CHANNEL);
        nsqd.publish(topic, "for the right secret only");
        bridge(topic, "not-the-secret");

        // nsqd refused it, and the bridge tried again (reconnects), each time asking nsqd, which asked the server
        await().atMost(Duration.ofSeconds(20)).until(() -> AUTH_QUERIES.stream()
                .filter(q -> "not-the-secret".equals(q.get("secret"))).count() >= 2);
        ChannelStats channel = nsqd.channel(topic, CHANNEL).orElseThrow();
        assertEquals(List.of(), channel.clients(), "never subscribed");
        assertEquals(1, channel.depth(), "the message waits at nsqd");
        assertEquals(0, channel.finishCount());
        assertEquals(0, endpoint.requests().size());
        java.net.http.HttpResponse<String> health = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(bridge.managementUrl() + "/observe/health"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(503, health.statusCode(), "the bridge says it is not consuming: " + health.body());
    }
}
