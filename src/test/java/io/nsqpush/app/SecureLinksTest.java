package io.nsqpush.app;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.TestCertificates;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bridge's secure links as an operator configures them in application.properties. */
class SecureLinksTest {

    private static final TestCertificates CERTS = TestCertificates.generate();
    private final CapturedLogs logs = CapturedLogs.capture();
    private final List<String> httpsBodies = new CopyOnWriteArrayList<>();
    private HttpsServer https;

    @AfterEach
    void stop() {
        if (https != null) {
            https.stop(0);
        }
        logs.close();
    }

    private String startHttpsEndpoint() throws Exception {
        https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(CERTS.serverContext()));
        https.createContext("/push", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                httpsBodies.add(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        https.start();
        return "https://127.0.0.1:" + https.getAddress().getPort() + "/push";
    }

    @Test
    void anHttpsEndpointSignedByAPrivateCaIsReachedWithPushTrustStore() throws Exception {
        String url = startHttpsEndpoint();
        try (TestNsqd nsqd = TestNsqd.start();
             Bridge bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", url,
                     "push.format", "SIMPLIFIED", "push.trust-store", CERTS.trustStore().toString(),
                     "push.trust-store-password", CERTS.password()))) {
            nsqd.publish("orders", "over https");
            await().atMost(Duration.ofSeconds(10)).until(() -> httpsBodies.contains("over https"));
            await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        }
    }

    @Test
    void withoutTheTrustStoreTheEndpointCertificateIsRefused() throws Exception {
        String url = startHttpsEndpoint();
        try (TestNsqd nsqd = TestNsqd.start();
             Bridge bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", url,
                     "push.redeliveries", "0"))) {
            nsqd.publish("orders", "refused");
            await().atMost(Duration.ofSeconds(10)).until(() -> !logs.find(Level.WARN, "Delivery failed").isEmpty());
            String line = logs.find(Level.WARN, "Delivery failed").get(0).message();
            assertTrue(line.contains("SSLHandshakeException") || line.contains("PKIX"), line);
            assertTrue(httpsBodies.isEmpty());
        }
    }

    @Test
    void tlsAndAuthToNsqdFromApplicationProperties() throws Exception {
        try (TestNsqd nsqd = TestNsqd.start(new TestNsqd.Options().tls(CERTS.serverContext()).tlsRequired(true)
                .authSecret("ops-secret"));
             TestEndpoint endpoint = TestEndpoint.start();
             Bridge bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                     "push.url", endpoint.url("/push"),
                     "camel.component.nsq.tls", "true",
                     "camel.component.nsq.tls-trust-store", CERTS.trustStore().toString(),
                     "camel.component.nsq.tls-trust-store-password", CERTS.password(),
                     "camel.component.nsq.auth-secret", "ops-secret",
                     "camel.component.nsq.compression", "snappy"))) {
            String id = nsqd.publish("orders", "secured");
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requestsFor(id).size() == 1);
            ClientRecord consumer = nsqd.clients().get(0);
            assertTrue(consumer.tls() && consumer.authenticated(), consumer.toString());
            assertEquals("snappy", consumer.compression());
            assertTrue(logs.lines().stream().noneMatch(l -> l.message().contains("ops-secret")), "secret in the log");
        }
    }
}
