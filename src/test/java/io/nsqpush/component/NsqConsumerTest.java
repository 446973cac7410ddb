package io.nsqpush.component;

import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.TestNsqd;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NsqConsumerTest extends NsqTestSupport {

    @Test
    void roundTripPublishThenConsumeWithHeadersAndFin() throws Exception {
        TestNsqd nsqd = nsqd();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:publish").to("nsq:orders?servers=" + nsqd.address());
                from("nsq:orders?channel=push&servers=" + nsqd.address()).process(NsqConsumerTest.this::record);
            }
        });
        long before = System.currentTimeMillis();
        context.createProducerTemplate().sendBody("direct:publish", "hello, 世界");

        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        Received got = received.get(0);
        assertEquals("hello, 世界", got.body());
        assertEquals(1, got.attempts());
        assertEquals("orders", got.headers().get(NsqConstants.TOPIC));
        assertEquals("push", got.headers().get(NsqConstants.CHANNEL));
        assertEquals(5, got.headers().get(NsqConstants.MAX_ATTEMPTS));
        long timestamp = (Long) got.headers().get(NsqConstants.TIMESTAMP);
        assertTrue(timestamp >= before - 1000 && timestamp <= System.currentTimeMillis() + 1000, "timestamp " + timestamp);
        assertEquals(nsqd.deliveries("orders", "push").get(0).id(), got.id());
        await().atMost(Duration.ofSeconds(5)).until(() -> commands(nsqd, "FIN", got.id()).size() == 1);
        assertEquals(1, nsqd.finCount("orders", "push"));
        assertEquals(0, nsqd.requeueCount("orders", "push"));

        ClientRecord client = nsqd.connectedClients().stream().filter(c -> "push".equals(c.channel())).findFirst()
                .orElseThrow();
        assertEquals(true, client.identify().get("feature_negotiation"));
        assertEquals(60000, ((Number) client.identify().get("msg_timeout")).intValue());
        assertEquals(25, ((Number) client.identify().get("output_buffer_timeout")).intValue(),
                "a message waits at most 25 ms in nsqd's write buffer, not its default 250 ms");
        assertEquals(List.of("orders", "push"), client.commands("SUB").get(0).args());
        assertEquals(List.of("200"), client.commands("RDY").get(0).args());
    }

    @Test
    void attemptsGrowAcrossRequeuesAndTheRequeueDelayDoubles() throws Exception {
        TestNsqd nsqd = nsqd();
        AtomicInteger calls = new AtomicInteger();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:jobs?channel=c&requeueDelay=100&maxRequeueDelay=150&servers=" + nsqd.address())
                        .process(NsqConsumerTest.this::record)
                        .process(e -> {
                            if (calls.incrementAndGet() < 4) {
                                throw new IllegalStateException("endpoint down");
                            }
                        });
            }
        });
        String id = nsqd.publish("jobs", "work");

        await().atMost(Duration.ofSeconds(10)).until(() -> commands(nsqd, "FIN", id).size() == 1);
        assertEquals(List.of(1, 2, 3, 4), receivedFor(id).stream().map(Received::attempts).toList());
        List<Command> reqs = commands(nsqd, "REQ", id);
        // 100 ms, 200 ms clamped to the 150 ms maximum, 150 ms again: never above the maximum, never negative
        assertEquals(List.of("100", "150", "150"), reqs.stream().map(c -> c.arg(1)).toList());
        assertEquals(3, nsqd.requeueCount("jobs", "c"));
    }

    @Test
    void attemptsGrowWhenNsqdTimesAMessageOutAndTheLateAnswerIsDroppedAndCountedAsAPossibleDuplicate()
            throws Exception {
        TestNsqd nsqd = nsqd();
        CountDownLatch redelivered = new CountDownLatch(1);
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:slow?channel=c&msgTimeout=1000&autoTouch=false&threads=2&servers=" + nsqd.address())
                        .routeId("slow")
                        .process(NsqConsumerTest.this::record)
                        .process(e -> {
                            if (e.getMessage().getHeader(NsqConstants.ATTEMPTS, Integer.class) == 1) {
                                // outlive the 1 s msg timeout: nsqd hands the message out again meanwhile
                                assertTrue(redelivered.await(10, TimeUnit.SECONDS));
                            } else {
                                redelivered.countDown();
                            }
                        });
            }
        });
        String id = nsqd.publish("slow", "x");

        NsqConsumer consumer = (NsqConsumer) context.getRoute("slow").getConsumer();
        // the first exchange ends after the second: its answer would settle the second delivery (nsqd matches FIN by
        // ID), so it is dropped and counted as a possible duplicate instead
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.getPossibleDuplicates() == 1);
        // the second delivery's FIN is written on the event loop: it may reach nsqd after the count above
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("slow", "c") >= 1);
        assertEquals(List.of(1, 2), receivedFor(id).stream().map(Received::attempts).toList());
        assertEquals(1, commands(nsqd, "FIN", id).size());
        assertEquals(1, nsqd.finCount("slow", "c"));
        assertEquals(1, nsqd.timeoutCount("slow", "c"));
        assertEquals(0, nsqd.commands("TOUCH").size());
    }

    @Test
    void aSlowExchangeIsKeptAliveByTouchPastTheMsgTimeout() throws Exception {
        TestNsqd nsqd = nsqd();
        CountDownLatch release = new CountDownLatch(1);
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:slow?channel=c&msgTimeout=1000&threads=2&servers=" + nsqd.address())
                        .process(NsqConsumerTest.this::record)
                        .process(e -> assertTrue(release.await(10, TimeUnit.SECONDS)));
            }
        });
        String id = nsqd.publish("slow", "x");

        // three TOUCHes at about 0.5 s intervals: the exchange has run 1.5 s, past the 1 s timeout
        await().atMost(Duration.ofSeconds(10)).until(() -> commands(nsqd, "TOUCH", id).size() >= 3);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> commands(nsqd, "FIN", id).size() == 1);
        assertEquals(1, received.size());
        assertEquals(0, nsqd.timeoutCount("slow", "c"));
        assertEquals(1, nsqd.deliveries("slow", "c").size());
        List<Command> touches = commands(nsqd, "TOUCH", id);
        for (int i = 1; i < touches.size(); i++) {
            long gapMs = TimeUnit.NANOSECONDS.toMillis(touches.get(i).receivedAtNanos() - touches.get(i - 1).receivedAtNanos());
            assertTrue(gapMs >= 300 && gapMs < 900, "TOUCH about every half msg timeout, got a gap of " + gapMs + " ms");
        }
    }

    @Test
    void theRdyWindowIsSplitAcrossConnectionsAndNeverExceeded() throws Exception {
        TestNsqd first = nsqd();
        TestNsqd second = nsqd();
        second.stop(); // comes up later, while the first connection has its whole window in flight
        CountDownLatch release = new CountDownLatch(1);
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:bulk?channel=c&maxInFlight=5&threads=5&reconnectDelay=50&maxReconnectDelay=100&servers="
                        + first.address() + "," + second.address())
                        .process(e -> assertTrue(release.await(10, TimeUnit.SECONDS)))
                        .process(NsqConsumerTest.this::record);
            }
        });
        for (int i = 0; i < 20; i++) {
            first.publish("bulk", "a" + i);
            second.publish("bulk", "b" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> first.inFlight("bulk", "c") == 5);
        second.restart();
        ClientRecord b = awaitClientWith(second, c -> !c.commands("SUB").isEmpty());
        ClientRecord a = first.connectedClients().get(0);
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> a.rdy() == 3);
            assertEquals(0, b.rdy(), "no room for the newcomer while the first holds the whole window");
            assertEquals(0, b.inFlight());
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 40);
        assertEquals(3, a.rdy());
        assertEquals(2, b.rdy());
        // replay every RDY both nsqd nodes received, in order: the windows together never exceed maxInFlight
        List<java.util.Map.Entry<String, Command>> rdys = new java.util.ArrayList<>();
        a.commands("RDY").forEach(c -> rdys.add(java.util.Map.entry("first", c)));
        b.commands("RDY").forEach(c -> rdys.add(java.util.Map.entry("second", c)));
        rdys.sort(java.util.Comparator.comparingLong(e -> e.getValue().receivedAtNanos()));
        java.util.Map<String, Integer> window = new java.util.HashMap<>();
        for (java.util.Map.Entry<String, Command> rdy : rdys) {
            window.put(rdy.getKey(), Integer.parseInt(rdy.getValue().arg(0)));
            int total = window.values().stream().mapToInt(Integer::intValue).sum();
            assertTrue(total <= 5, "RDY windows " + window + " after " + rdys);
        }
        assertTrue(a.maxInFlightSeen() <= 5 && b.maxInFlightSeen() <= 2, a.maxInFlightSeen() + " " + b.maxInFlightSeen());
    }

    private static ClientRecord awaitClientWith(TestNsqd nsqd, java.util.function.Predicate<ClientRecord> condition) {
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.connectedClients().stream().anyMatch(condition));
        return nsqd.connectedClients().stream().filter(condition).findFirst().orElseThrow();
    }

    @Test
    void heartbeatsAreAnsweredSoNsqdKeepsTheConnection() throws Exception {
        TestNsqd nsqd = nsqd();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:hb?channel=c&heartbeatInterval=1000&servers=" + nsqd.address())
                        .process(NsqConsumerTest.this::record);
            }
        });
        ClientRecord client = awaitSubscribedClient(nsqd, 1);
        // more than two intervals: a client that did not answer would have been dropped by now
        await().atMost(Duration.ofSeconds(10)).until(() -> client.heartbeatsSent() >= 3);
        assertTrue(client.connected());
        assertTrue(client.commands("NOP").size() >= 2, "NOPs: " + client.commands("NOP").size());
        assertEquals(1, nsqd.clients().size(), "never reconnected");
        String id = nsqd.publish("hb", "still here");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
    }
}
