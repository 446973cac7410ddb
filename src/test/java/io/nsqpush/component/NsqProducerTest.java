package io.nsqpush.component;

import io.nsqpush.nsq.NsqErrorException;
import io.nsqpush.nsq.NsqException;
import io.nsqpush.testnsqd.PublishedMessage;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.FakeLookupd;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NsqProducerTest extends NsqTestSupport {

    private FakeLookupd lookupd;

    @AfterEach
    void stopLookupd() {
        if (lookupd != null) {
            lookupd.close();
        }
    }

    private static List<String> bodies(TestNsqd nsqd, String topic) {
        return nsqd.published(topic).stream().map(PublishedMessage::bodyUtf8).toList();
    }

    /**
     * Sends once the producer has noticed a lost connection: until then a PUB fails, unsent or sent to a socket nsqd
     * has closed (nsqd records neither), as with any NSQ client.
     */
    private static void sendAfterLoss(ProducerTemplate template, String body, Map<String, Object> headers) {
        await().atMost(Duration.ofSeconds(5)).ignoreExceptionsInstanceOf(CamelExecutionException.class).until(() -> {
            template.sendBodyAndHeaders("direct:publish", body, headers);
            return true;
        });
    }

    private ProducerTemplate producer(String uri) throws Exception {
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:publish").to(uri);
            }
        });
        return context.createProducerTemplate();
    }

    @Test
    void publishesABodyWithPub() throws Exception {
        TestNsqd nsqd = nsqd();
        ProducerTemplate template = producer("nsq:events?servers=" + nsqd.address());
        template.sendBody("direct:publish", new byte[] {0, 1, (byte) 0xff});
        template.sendBody("direct:publish", "second");

        List<PublishedMessage> published = nsqd.published("events");
        assertEquals(2, published.size());
        assertArrayEquals(new byte[] {0, 1, (byte) 0xff}, published.get(0).body());
        assertEquals("second", published.get(1).bodyUtf8());
        assertEquals(List.of("PUB", "PUB"), published.stream().map(PublishedMessage::command).toList());
        assertEquals(1, nsqd.clients().size(), "one connection shared by every publish");
    }

    @Test
    void publishesAListWithOneMpub() throws Exception {
        TestNsqd nsqd = nsqd();
        ProducerTemplate template = producer("nsq:events?servers=" + nsqd.address());
        template.sendBody("direct:publish", List.of("a", "bb", "ccc"));

        List<PublishedMessage> published = nsqd.published("events");
        assertEquals(List.of("a", "bb", "ccc"), published.stream().map(PublishedMessage::bodyUtf8).toList());
        assertEquals(1, nsqd.commands("MPUB").size());
        assertEquals(0, nsqd.commands("PUB").size());
    }

    @Test
    void publishesWithDpubWhenADeferIsSetAndTheMessageArrivesNoEarlier() throws Exception {
        TestNsqd nsqd = nsqd();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:publish").to("nsq:later?servers=" + nsqd.address());
                from("nsq:later?channel=c&servers=" + nsqd.address()).process(NsqProducerTest.this::record);
            }
        });
        awaitSubscribedClient(nsqd, 1);
        long sentAt = System.nanoTime();
        context.createProducerTemplate().sendBodyAndHeader("direct:publish", "deferred", NsqConstants.DEFER_MS, 800L);

        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(received.get(0).atNanos() - sentAt);
        assertTrue(waitedMs >= 800, "delivered after " + waitedMs + " ms");
        assertEquals(List.of("later", "800"), nsqd.commands("DPUB").get(0).args());
        assertEquals(800, nsqd.published("later").get(0).deferMs());
    }

    @Test
    void failsTheExchangeWhenNsqdAnswersAnErrorAndRecoversOnTheNextPublish() throws Exception {
        TestNsqd nsqd = nsqd(new TestNsqd.Options().maxMsgSize(16));
        ProducerTemplate template = producer("nsq:events?servers=" + nsqd.address());

        CamelExecutionException e = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:publish", "this body is longer than sixteen bytes"));
        // nsqd closes without reading the body, so the kernel may reset the socket before the error frame is read
        // (real nsqd does the same): the exchange fails either with the error or with the lost connection
        NsqException error = assertInstanceOf(NsqException.class, e.getCause());
        if (error instanceof NsqErrorException answered) {
            assertEquals("E_BAD_MESSAGE", answered.error().code());
        } else {
            assertTrue(error.getMessage().startsWith("not connected to nsqd " + nsqd.address()), error.getMessage());
        }
        // nsqd dropped the connection after its fatal error; the next publish opens a new one
        template.sendBody("direct:publish", "short");
        assertEquals(List.of("short"), nsqd.published("events").stream().map(PublishedMessage::bodyUtf8).toList());
        assertEquals(2, nsqd.clients().size());
    }

    @Test
    void failsTheExchangeClearlyWhenNsqdIsUnreachable() throws Exception {
        TestNsqd nsqd = nsqd();
        nsqd.stop();
        ProducerTemplate template = producer("nsq:events?servers=" + nsqd.address());

        CamelExecutionException e = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:publish", "nowhere to go"));
        NsqException error = assertInstanceOf(NsqException.class, e.getCause());
        assertTrue(error.getMessage().startsWith("cannot connect to nsqd " + nsqd.address()), error.getMessage());
    }

    @Test
    void failsOverToTheNextServerWhenTheFirstIsDown() throws Exception {
        TestNsqd down = nsqd();
        down.stop();
        TestNsqd up = nsqd();
        ProducerTemplate template = producer("nsq:events?servers=" + down.address() + "," + up.address());
        template.sendBody("direct:publish", "via the second");
        assertEquals(List.of("via the second"), up.published("events").stream().map(PublishedMessage::bodyUtf8).toList());
    }

    @Test
    void refusesAnEmptyBodyBeforeNsqdDropsTheConnectionForIt() throws Exception {
        TestNsqd nsqd = nsqd();
        ProducerTemplate template = producer("nsq:events?servers=" + nsqd.address());
        CamelExecutionException e = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:publish", ""));
        assertEquals("cannot publish an empty message body: nsqd rejects it", e.getCause().getMessage());
        assertEquals(0, nsqd.commands("PUB").size());
        assertThrows(CamelExecutionException.class,
                () -> template.sendBodyAndHeaders("direct:publish", "x", Map.of(NsqConstants.DEFER_MS, -1L)));
        assertEquals(0, nsqd.commands("DPUB").size());
    }

    @Test
    void withoutServersPublishesThroughTheNsqdTheMessageCameFromOneConnectionEach() throws Exception {
        TestNsqd a = nsqd();
        TestNsqd b = nsqd();
        lookupd = FakeLookupd.start().list(a.address());
        ProducerTemplate template = producer("nsq:events?lookupd=" + lookupd.address());

        template.sendBodyAndHeader("direct:publish", "to b", NsqConstants.ADDRESS, b.address());
        template.sendBodyAndHeader("direct:publish", "to a", NsqConstants.ADDRESS, a.address());
        template.sendBodyAndHeader("direct:publish", "to b again", NsqConstants.ADDRESS, b.address());

        assertEquals(List.of("to b", "to b again"), bodies(b, "events"));
        assertEquals(List.of("to a"), bodies(a, "events"));
        assertEquals(1, a.clients().size());
        assertEquals(1, b.clients().size(), "one connection per nsqd, shared");
        assertEquals(List.of(), lookupd.requests(), "the header wins over lookupd");

        // a lost connection is opened again on the next publish
        b.clients().get(0).disconnect();
        sendAfterLoss(template, "after the loss", Map.of(NsqConstants.ADDRESS, b.address()));
        assertEquals(List.of("to b", "to b again", "after the loss"), bodies(b, "events"));
        assertEquals(2, b.clients().size());
    }

    @Test
    void withoutServersNorHeaderPublishesToTheFirstNodeLookupdListsThatAnswers() throws Exception {
        TestNsqd down = nsqd();
        down.stop();
        TestNsqd up = nsqd();
        lookupd = FakeLookupd.start().list(down.address(), up.address());
        ProducerTemplate template = producer("nsq:events?lookupd=" + lookupd.address());

        template.sendBody("direct:publish", "first");
        template.sendBody("direct:publish", "second");
        assertEquals(List.of("first", "second"), bodies(up, "events"));
        assertEquals(List.of("/nodes"), lookupd.requests(), "asked once, the connection is kept");
        assertEquals(1, up.clients().size());

        // the connection is lost: lookupd is asked again, and now lists another nsqd
        TestNsqd other = nsqd();
        lookupd.list(other.address());
        up.stop();
        sendAfterLoss(template, "third", Map.of());
        assertEquals(List.of("third"), bodies(other, "events"));
        assertEquals(List.of("/nodes", "/nodes"), lookupd.requests());
        assertEquals(0, down.clients().size());
    }

    @Test
    void failsNamingLookupdWhenItListsNoNsqdOrDoesNotAnswer() throws Exception {
        lookupd = FakeLookupd.start();
        ProducerTemplate template = producer("nsq:events?lookupd=" + lookupd.address());

        CamelExecutionException none = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:publish", "nowhere"));
        assertEquals("no nsqd known to publish to nsq:events: nsqlookupd " + lookupd.address() + " lists none",
                none.getCause().getMessage());

        lookupd.close();
        CamelExecutionException away = assertThrows(CamelExecutionException.class,
                () -> template.sendBody("direct:publish", "nowhere"));
        assertInstanceOf(NsqException.class, away.getCause());
        assertTrue(away.getCause().getMessage().startsWith("no nsqd known to publish to nsq:events: nsqlookupd "
                + lookupd.address() + " is unreachable"), away.getCause().getMessage());
    }

    @Test
    void serversWinOverTheHeaderAndLookupd() throws Exception {
        TestNsqd configured = nsqd();
        TestNsqd source = nsqd();
        lookupd = FakeLookupd.start().list(source.address());
        ProducerTemplate template = producer("nsq:events?servers=" + configured.address() + "&lookupd="
                + lookupd.address());

        template.sendBodyAndHeader("direct:publish", "to servers", NsqConstants.ADDRESS, source.address());
        assertEquals(List.of("to servers"), bodies(configured, "events"));
        assertEquals(0, source.clients().size());
        assertEquals(List.of(), lookupd.requests());
    }
}
