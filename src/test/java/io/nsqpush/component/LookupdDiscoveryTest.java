package io.nsqpush.component;

import com.sun.net.httpserver.HttpServer;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import org.apache.camel.builder.RouteBuilder;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Discovery through a test nsqlookupd (a real HTTP server answering /lookup as nsqlookupd does). */
class LookupdDiscoveryTest extends NsqTestSupport {

    private final List<TestNsqd> producers = new CopyOnWriteArrayList<>();
    private final AtomicInteger lookups = new AtomicInteger();
    private final CapturedLogs logs = CapturedLogs.capture();
    private HttpServer lookupd;

    private String startLookupd() throws Exception {
        lookupd = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        lookupd.createContext("/lookup", exchange -> {
            lookups.incrementAndGet();
            boolean known = exchange.getRequestURI().getQuery().equals("topic=disc") && !producers.isEmpty();
            StringBuilder json = new StringBuilder(known ? "{\"channels\":[\"c\"],\"producers\":[" : "");
            for (int i = 0; known && i < producers.size(); i++) {
                json.append(i > 0 ? "," : "").append("{\"remote_address\":\"127.0.0.1:1\",\"hostname\":\"test\","
                        + "\"broadcast_address\":\"127.0.0.1\",\"tcp_port\":").append(producers.get(i).port())
                        .append(",\"http_port\":4151,\"version\":\"1.3.0\"}");
            }
            byte[] body = (known ? json.append("]}").toString() : "{\"message\":\"TOPIC_NOT_FOUND\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(known ? 200 : 404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lookupd.start();
        return "127.0.0.1:" + lookupd.getAddress().getPort();
    }

    @AfterEach
    void stopLookupd() {
        if (lookupd != null) {
            lookupd.stop(0);
        }
        logs.close();
    }

    @Test
    void connectsToProducersAsTheyAppearKeepsLiveOnesLookupdForgetsAndDoesNotReconnectThem() throws Exception {
        TestNsqd a = nsqd();
        TestNsqd b = nsqd();
        String lookupdAddress = startLookupd();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                // reconnects 50-100 ms apart: one to a forgotten nsqd would surely fall inside the 3 s watched below
                from("nsq:disc?channel=c&maxInFlight=10&lookupdPollInterval=1000&reconnectDelay=50"
                        + "&maxReconnectDelay=100&lookupd=" + lookupdAddress)
                        .routeId("discovering").process(LookupdDiscoveryTest.this::record);
            }
        });
        // no producer yet: a 404, not an error, and nothing to be connected to
        await().atMost(Duration.ofSeconds(5)).until(() -> lookups.get() >= 2);
        assertEquals(0, a.clients().size() + b.clients().size());
        assertTrue(logs.find(Level.WARN, "").isEmpty(), logs.find(Level.WARN, "").toString());
        NsqConsumer consumer = (NsqConsumer) context.getRoute("discovering").getConsumer();
        assertTrue(consumer.isConnected(), "nothing to connect to is healthy");

        producers.add(a);
        ClientRecord onA = awaitSubscribedClient(a, 1);
        assertEquals("10", onA.commands("RDY").get(0).arg(0));
        String first = a.publish("disc", "from a");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(first).size() == 1);

        producers.add(b);
        ClientRecord onB = awaitSubscribedClient(b, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> onA.rdy() == 5 && onB.rdy() == 5);

        // lookupd forgets a, as when lookupd or nsqd restart: go-nsq keeps a live connection, and so do we
        producers.remove(a);
        int polls = lookups.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> lookups.get() >= polls + 2);
        assertTrue(onA.connected(), "a live connection is not dropped because lookupd forgot it");
        assertEquals(5, onA.rdy());
        String second = a.publish("disc", "a, still consumed");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(second).size() == 1);

        // a forgotten nsqd that goes away is let go: not reconnected, its share goes to b
        a.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> onB.rdy() == 10);
        a.restart();
        int after = lookups.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> lookups.get() >= after + 3);
        assertEquals(1, a.clients().size(), "not reconnected once every lookupd has forgotten it");
        assertTrue(consumer.isConnected());

        // stopping the route closes every connection it has
        context.getRouteController().stopRoute("discovering");
        await().atMost(Duration.ofSeconds(5)).until(() -> !onB.connected());
        assertEquals("CLS", onB.commands().get(onB.commands().size() - 1).name(), "let go with CLS");
    }

    @Test
    void aLookupdOutageKeepsTheConnectionsItFound() throws Exception {
        TestNsqd a = nsqd();
        producers.add(a);
        String lookupdAddress = startLookupd();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:disc?channel=c&lookupdPollInterval=1000&lookupd=" + lookupdAddress)
                        .process(LookupdDiscoveryTest.this::record);
            }
        });
        ClientRecord onA = awaitSubscribedClient(a, 1);
        lookupd.stop(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> !logs.find(Level.WARN, "did not answer").isEmpty());
        assertTrue(onA.connected());
        String id = a.publish("disc", "still consumed");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
    }
}
