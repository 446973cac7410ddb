package io.nsqpush.component;

import io.nsqpush.nsq.NsqErrorException;
import io.nsqpush.nsq.NsqException;
import io.nsqpush.testnsqd.PublishedMessage;
import io.nsqpush.testnsqd.TestNsqd;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
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
}
