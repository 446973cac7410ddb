package io.nsqpush.component;

import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.TestCertificates;
import io.nsqpush.testsupport.TestCertificates.Server;
import org.apache.camel.builder.RouteBuilder;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS, AUTH and compression against the test nsqd, whose TLS and codecs are the JDK's and snappy-java, not Netty's. */
class NsqSecurityTest extends NsqTestSupport {

    private static final TestCertificates CERTS = TestCertificates.generate();
    private final CapturedLogs logs = CapturedLogs.capture();

    @AfterEach
    void stopCapturing() {
        logs.close();
    }

    private String tls(String trustStore) {
        return "&tls=true&tlsTrustStore=" + trustStore + "&tlsTrustStorePassword=" + CERTS.password();
    }

    /** Consumes and publishes through the options; @return the consumer's client record once it is subscribed */
    private void roundTrip(TestNsqd nsqd, String options) throws Exception {
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:publish").to("nsq:secure?servers=" + nsqd.address() + options);
                from("nsq:secure?channel=c&servers=" + nsqd.address() + options)
                        .process(NsqSecurityTest.this::record);
            }
        });
        try {
            awaitSubscribedClient(nsqd, 1);
        } catch (RuntimeException e) {
            throw new AssertionError("not subscribed: " + nsqd.clients() + " "
                    + nsqd.clients().stream().map(c -> c.closeReason() + " " + c.commands()).toList(), e);
        }
        context.createProducerTemplate().sendBody("direct:publish", "secret payload ünïcödé");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        assertEquals("secret payload ünïcödé", received.get(0).body());
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("secure", "c") == 1);
    }

    @Test
    void tlsWithAGeneratedCertificateCarriesConsumeAndPublish() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()).tlsRequired(true));
        roundTrip(nsqd, tls(CERTS.trustStore().toString()));
        assertTrue(nsqd.clients().stream().allMatch(ClientRecord::tls), "every connection upgraded");
        assertEquals(true, nsqd.clients().get(0).identify().get("tls_v1"));
    }

    @Test
    void aCertificateFromAnotherCaIsRejectedAndNothingIsSentInPlainText() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext(Server.FOREIGN)));
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:secure?channel=c&servers=" + nsqd.address() + tls(CERTS.trustStore().toString()))
                        .process(NsqSecurityTest.this::record);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> !logs.find(Level.WARN, "Cannot connect to nsqd").isEmpty());
        String warning = logs.find(Level.WARN, "Cannot connect to nsqd").get(0).message();
        assertTrue(warning.contains("PKIX") || warning.contains("certificate") || warning.contains("SSL"), warning);
        assertTrue(nsqd.clients().stream().noneMatch(c -> !c.commands("SUB").isEmpty()), "never subscribed");
    }

    @Test
    void hostnameVerificationRejectsACertificateForAnotherHostUnlessTurnedOff() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext(Server.WRONG_HOST)));
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:checked?channel=c&servers=" + nsqd.address() + tls(CERTS.trustStore().toString()))
                        .process(NsqSecurityTest.this::record);
                from("nsq:unchecked?channel=c&tlsVerifyHostname=false&servers=" + nsqd.address()
                        + tls(CERTS.trustStore().toString())).process(NsqSecurityTest.this::record);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.connectedClients().stream()
                .anyMatch(c -> "unchecked".equals(c.topic())));
        await().atMost(Duration.ofSeconds(10)).until(() -> !logs.find(Level.WARN, "for checked/c").isEmpty());
        assertTrue(nsqd.clients().stream().noneMatch(c -> "checked".equals(c.topic())));
    }

    @Test
    void aClientCertificateIsPresentedWhenNsqdRequiresOne() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()).tlsClientAuth(true));
        roundTrip(nsqd, tls(CERTS.trustStore().toString()) + "&tlsKeyStore=" + CERTS.clientKeyStore()
                + "&tlsKeyStorePassword=" + CERTS.password());
        assertTrue(nsqd.clients().get(0).tlsPeerPrincipal().contains(TestCertificates.CLIENT_COMMON_NAME));
    }

    @Test
    void authIsSentWhenRequiredAndTheSecretNeverAppearsInTheLog() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().authSecret("s3cr3t-token"));
        roundTrip(nsqd, "&authSecret=s3cr3t-token");
        assertTrue(nsqd.clients().stream().allMatch(ClientRecord::authenticated));
        assertEquals("s3cr3t-token", nsqd.clients().get(0).commands("AUTH").get(0).bodyUtf8());
        assertTrue(logs.lines().stream().noneMatch(l -> l.message().contains("s3cr3t-token")));
    }

    @Test
    void aRefusedSecretIsAClearErrorWithoutTheSecret() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().authSecret("right"));
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:secure?channel=c&authSecret=wrong-guess&servers=" + nsqd.address())
                        .process(NsqSecurityTest.this::record);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> !logs.find(Level.WARN, "Cannot connect to nsqd").isEmpty());
        String warning = logs.find(Level.WARN, "Cannot connect to nsqd").get(0).message();
        assertTrue(warning.contains("E_AUTH_FAILED"), warning);
        assertTrue(logs.lines().stream().noneMatch(l -> l.message().contains("wrong-guess")));
        assertFalse(nsqd.clients().get(0).authenticated());
    }

    @Test
    void snappyAndDeflateEachCarryConsumeAndPublish() throws Exception {
        for (String compression : List.of("snappy", "deflate")) {
            received.clear();
            TestNsqd nsqd = nsqd(new TestNsqd.Options().snappy(true).deflate(true));
            roundTrip(nsqd, "&compression=" + compression);
            assertTrue(nsqd.clients().stream().allMatch(c -> compression.equals(c.compression())),
                    compression + ": " + nsqd.clients());
            context.close();
            context = null;
        }
    }

    @Test
    void tlsAndSnappyTogether() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().tls(CERTS.serverContext()).snappy(true));
        roundTrip(nsqd, tls(CERTS.trustStore().toString()) + "&compression=snappy");
        assertTrue(nsqd.clients().stream().allMatch(c -> c.tls() && "snappy".equals(c.compression())));
    }
}
