package io.nsqpush.testnsqd;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.testnsqd.RawNsqClient.Frame;
import io.nsqpush.testnsqd.RawNsqClient.Message;
import io.nsqpush.testsupport.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.net.ssl.SSLHandshakeException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test nsqd's TLS, snappy, deflate and AUTH, against a raw client using the JDK's TLS and Netty's codecs. */
class TestNsqdSecurityTest {

    private static final TestCertificates CERTS = TestCertificates.generate();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private TestNsqd nsqd(TestNsqd.Options options) {
        TestNsqd nsqd = TestNsqd.start(options);
        toClose.add(nsqd);
        return nsqd;
    }

    private RawNsqClient connect(TestNsqd nsqd) {
        RawNsqClient client = RawNsqClient.connect(nsqd);
        toClose.add(0, client);
        return client;
    }

    /** IDENTIFY with feature negotiation plus these fields; returns the JSON answer. */
    private static Map<?, ?> identify(RawNsqClient client, String fields) throws IOException {
        client.identify("{\"feature_negotiation\":true" + (fields.isEmpty() ? "" : "," + fields) + "}");
        Frame answer = client.readFrame();
        assertEquals(TestNsqd.FRAME_RESPONSE, answer.type(), answer.toString());
        return JSON.readValue(answer.data(), Map.class);
    }

    /** SUB, RDY, a message published by the test arrives and is FINed; a PUB from the client is acknowledged. */
    private static void exchangeMessages(TestNsqd nsqd, RawNsqClient client, String topic, byte[] body) {
        client.command("SUB " + topic + " c");
        client.expectResponse("OK");
        client.command("RDY 1");
        nsqd.publish(topic, body);
        Message message = client.readMessage();
        assertArrayEquals(body, message.body());
        assertEquals(1, message.attempts());
        client.command("FIN " + message.id());
        await().atMost(RawNsqClient.DEFAULT_WAIT).until(() -> nsqd.finCount(topic, "c") == 1);
        client.pub(topic + "-out", "from the client");
        client.expectResponse("OK");
        assertEquals("from the client", new String(nsqd.published(topic + "-out").get(0).body(),
                StandardCharsets.UTF_8));
    }

    /** The upgrade fails: a handshake alert, a TLS read error or nsqd closing the connection; never an OK. */
    private static void assertRefused(Executable upgrade) {
        Throwable refused = assertThrows(Throwable.class, upgrade, "the TLS connection was not refused");
        boolean closed = refused instanceof IOException || refused instanceof UncheckedIOException
                || refused instanceof AssertionError && "connection closed by nsqd".equals(refused.getMessage());
        assertTrue(closed, () -> "the TLS connection failed, but not by being refused: " + refused);
    }

    // ---------------------------------------------------------------- TLS

    @Test
    void tlsUpgradeAnswersOkOverTlsAndCarriesTheSession() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()));
        RawNsqClient client = connect(nsqd);
        Map<?, ?> answer = identify(client, "\"tls_v1\":true");
        assertEquals(true, answer.get("tls_v1"));
        assertEquals(false, answer.get("snappy"));

        client.upgradeTls(CERTS.clientContext(false), true); // reads nsqd's OK over TLS
        exchangeMessages(nsqd, client, "tls", "over tls".getBytes(StandardCharsets.UTF_8));

        ClientRecord record = nsqd.clients().get(0);
        assertTrue(record.tls());
        assertEquals("none", record.compression());
        assertNull(record.tlsPeerPrincipal());
        assertEquals(List.of("IDENTIFY", "SUB", "RDY", "FIN", "PUB"),
                record.commands().stream().map(Command::name).toList());
    }

    @Test
    void tlsIsOnlyGrantedWhenConfiguredAndAsked() throws Exception {
        TestNsqd plain = nsqd(new TestNsqd.Options());
        RawNsqClient asking = connect(plain);
        assertEquals(false, identify(asking, "\"tls_v1\":true").get("tls_v1"));
        exchangeMessages(plain, asking, "plain", "no tls".getBytes(StandardCharsets.UTF_8));

        TestNsqd offering = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()));
        RawNsqClient notAsking = connect(offering);
        assertEquals(false, identify(notAsking, "").get("tls_v1"));
        exchangeMessages(offering, notAsking, "plain", "no tls".getBytes(StandardCharsets.UTF_8));
        assertFalse(offering.clients().get(0).tls());

        assertThrows(IllegalArgumentException.class, () -> TestNsqd.start(new TestNsqd.Options().tlsRequired(true)));
    }

    @Test
    void tlsRequiredRefusesEveryCommandButIdentifyUntilUpgraded() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()).tlsRequired(true));
        RawNsqClient plain = connect(nsqd);
        assertEquals(true, identify(plain, "").containsKey("tls_v1"));
        plain.command("SUB t c");
        assertEquals("E_INVALID cannot SUB in current state (TLS required)",
                plain.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient publisher = connect(nsqd);
        publisher.pub("t", "plain text");
        assertEquals("E_INVALID cannot PUB in current state (TLS required)",
                publisher.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
        assertEquals(List.of(), nsqd.published("t"));

        RawNsqClient upgraded = connect(nsqd);
        identify(upgraded, "\"tls_v1\":true");
        upgraded.upgradeTls(CERTS.clientContext(false), true);
        exchangeMessages(nsqd, upgraded, "t", "fine".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void clientCertificateRequiredWhenConfigured() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()).tlsClientAuth(true));
        assertTrue(nsqd.options().tlsRequired(), "nsqd: a client auth policy implies --tls-required");

        RawNsqClient withCert = connect(nsqd);
        identify(withCert, "\"tls_v1\":true");
        withCert.upgradeTls(CERTS.clientContext(true), true);
        exchangeMessages(nsqd, withCert, "mtls", "with cert".getBytes(StandardCharsets.UTF_8));
        assertEquals(CERTS.clientSubject(), nsqd.clients().get(0).tlsPeerPrincipal());

        RawNsqClient withoutCert = connect(nsqd);
        identify(withoutCert, "\"tls_v1\":true");
        assertRefused(() -> withoutCert.upgradeTls(CERTS.clientContext(false), true));
        ClientRecord refused = nsqd.clients().get(1);
        await().atMost(RawNsqClient.DEFAULT_WAIT).until(() -> !refused.connected());
        assertTrue(refused.closeReason().startsWith("E_IDENTIFY_FAILED IDENTIFY failed"), refused.closeReason());
        assertFalse(refused.tls());
    }

    @Test
    void clientRefusesForeignAndWrongHostCertificates() throws Exception {
        TestNsqd foreign = nsqd(new TestNsqd.Options().tls(CERTS.serverContext(TestCertificates.Server.FOREIGN)));
        RawNsqClient toForeign = connect(foreign);
        identify(toForeign, "\"tls_v1\":true");
        assertThrows(SSLHandshakeException.class, () -> toForeign.upgradeTls(CERTS.clientContext(false), false));

        TestNsqd wrongHost = nsqd(new TestNsqd.Options()
                .tls(CERTS.serverContext(TestCertificates.Server.WRONG_HOST)));
        RawNsqClient verifying = connect(wrongHost);
        identify(verifying, "\"tls_v1\":true");
        assertThrows(SSLHandshakeException.class, () -> verifying.upgradeTls(CERTS.clientContext(false), true));

        RawNsqClient notVerifying = connect(wrongHost);
        identify(notVerifying, "\"tls_v1\":true");
        notVerifying.upgradeTls(CERTS.clientContext(false), false); // the CA is trusted; only the name is wrong
        exchangeMessages(wrongHost, notVerifying, "t", "name unchecked".getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- compression

    @Test
    void snappyCompressesBothWaysFromTheOk() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options());
        RawNsqClient client = connect(nsqd);
        Map<?, ?> answer = identify(client, "\"snappy\":true");
        assertEquals(true, answer.get("snappy"));
        assertEquals(false, answer.get("deflate"));

        client.upgradeSnappy(); // nsqd's OK arrives snappy-framed
        exchangeMessages(nsqd, client, "snappy", "compressed".getBytes(StandardCharsets.UTF_8));
        client.command("RDY 1");
        byte[] large = randomBody(150_000); // several 64 KiB snappy chunks, stored uncompressed
        nsqd.publish("snappy", large);
        assertArrayEquals(large, client.readMessage().body());
        assertEquals("snappy", nsqd.clients().get(0).compression());
    }

    @Test
    void deflateCompressesBothWaysAtTheCappedLevel() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options());
        RawNsqClient client = connect(nsqd);
        Map<?, ?> answer = identify(client, "\"deflate\":true,\"deflate_level\":9");
        assertEquals(true, answer.get("deflate"));
        assertEquals(6, answer.get("deflate_level"));
        assertEquals(6, answer.get("max_deflate_level"));

        client.upgradeDeflate(6); // nsqd's OK arrives deflated
        exchangeMessages(nsqd, client, "deflate", "compressed".getBytes(StandardCharsets.UTF_8));
        client.command("RDY 1");
        byte[] large = "repetitive ".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
        nsqd.publish("deflate", large);
        assertArrayEquals(large, client.readMessage().body());
        assertEquals("deflate", nsqd.clients().get(0).compression());
    }

    @Test
    void compressionOptionsAndConflicts() throws Exception {
        TestNsqd disabled = nsqd(new TestNsqd.Options().snappy(false).deflate(false));
        RawNsqClient asking = connect(disabled);
        Map<?, ?> answer = identify(asking, "\"snappy\":true,\"deflate\":true");
        assertEquals(false, answer.get("snappy"));
        assertEquals(false, answer.get("deflate"));
        exchangeMessages(disabled, asking, "t", "plain".getBytes(StandardCharsets.UTF_8));
        assertEquals("none", disabled.clients().get(0).compression());

        TestNsqd enabled = nsqd(new TestNsqd.Options());
        RawNsqClient both = connect(enabled);
        both.identify("{\"feature_negotiation\":true,\"snappy\":true,\"deflate\":true}");
        assertEquals("E_IDENTIFY_FAILED cannot enable both deflate and snappy compression",
                both.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    @Test
    void tlsThenSnappyOnTheSameConnection() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()).tlsRequired(true));
        RawNsqClient client = connect(nsqd);
        Map<?, ?> answer = identify(client, "\"tls_v1\":true,\"snappy\":true");
        assertEquals(true, answer.get("tls_v1"));
        assertEquals(true, answer.get("snappy"));

        client.upgradeTls(CERTS.clientContext(false), true); // plain OK over TLS
        client.upgradeSnappy(); // then a snappy OK over TLS
        exchangeMessages(nsqd, client, "both", randomBody(70_000));
        ClientRecord record = nsqd.clients().get(0);
        assertTrue(record.tls());
        assertEquals("snappy", record.compression());
    }

    // ---------------------------------------------------------------- AUTH

    @Test
    void authWithTheRightSecretAnswersTheIdentity() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().authSecret("s3cret"));
        RawNsqClient client = connect(nsqd);
        assertEquals(true, identify(client, "").get("auth_required"));

        client.auth("s3cret");
        Frame answer = client.readFrame();
        assertEquals(TestNsqd.FRAME_RESPONSE, answer.type());
        assertEquals(Map.of("identity", TestNsqd.AUTH_IDENTITY, "identity_url", TestNsqd.AUTH_IDENTITY_URL,
                "permission_count", 1), JSON.readValue(answer.data(), Map.class));
        exchangeMessages(nsqd, client, "authed", "allowed".getBytes(StandardCharsets.UTF_8));

        ClientRecord record = nsqd.clients().get(0);
        assertTrue(record.authenticated());
        Command auth = record.commands("AUTH").get(0);
        assertEquals("s3cret", auth.bodyUtf8());
        assertFalse(auth.toString().contains("s3cret"), auth.toString());

        client.auth("s3cret");
        assertEquals("E_INVALID cannot AUTH in current state",
                client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    @Test
    void authWithAWrongSecretIsFatal() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().authSecret("s3cret"));
        RawNsqClient client = connect(nsqd);
        identify(client, "");
        client.auth("guess");
        assertEquals("E_AUTH_FAILED AUTH failed", client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
        assertFalse(nsqd.clients().get(0).authenticated());
    }

    @Test
    void commandsNeedingAuthBeforeAuthAreFatal() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().authSecret("s3cret"));
        RawNsqClient subscriber = connect(nsqd);
        identify(subscriber, "");
        subscriber.command("SUB t c");
        assertEquals("E_AUTH_FIRST AUTH required before SUB",
                subscriber.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());

        RawNsqClient publisher = connect(nsqd);
        identify(publisher, "");
        publisher.pub("t", "unauthorized");
        assertEquals("E_AUTH_FIRST AUTH required before PUB",
                publisher.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
        assertEquals(List.of(), nsqd.published("t"));
    }

    @Test
    void authWithoutAuthEnabledIsDisabled() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options());
        RawNsqClient client = connect(nsqd);
        assertEquals(false, identify(client, "").get("auth_required"));
        client.auth("anything");
        assertEquals("E_AUTH_DISABLED AUTH disabled",
                client.awaitClosedByServer(RawNsqClient.DEFAULT_WAIT).get(0).text());
    }

    private static byte[] randomBody(int size) {
        byte[] body = new byte[size];
        new Random(42).nextBytes(body);
        return body;
    }
}
