package io.nsqpush.component;

import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After any loss of nsqd the consumer reconnects, logs the outage once, and nothing is lost. */
class NsqReconnectTest extends NsqTestSupport {

    private final CapturedLogs logs = CapturedLogs.capture();

    @AfterEach
    void stopCapturing() {
        logs.close();
    }

    private void consume(TestNsqd nsqd, String topic) throws Exception {
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:" + topic + "?channel=c&maxInFlight=10&reconnectDelay=50&maxReconnectDelay=200&servers="
                        + nsqd.address()).routeId("consumer")
                        .process(NsqReconnectTest.this::record);
            }
        });
    }

    private Set<String> deliveredBodies() {
        return received.stream().map(Received::body).collect(Collectors.toSet());
    }

    @Test
    void nsqdRestartedMidStreamEveryMessageIsDelivered() throws Exception {
        TestNsqd nsqd = nsqd();
        consume(nsqd, "stream");
        Set<String> published = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            nsqd.publish("stream", "m" + i);
            published.add("m" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= 20);
        nsqd.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> !isHealthy());
        for (int i = 100; i < 150; i++) {
            nsqd.publish("stream", "m" + i); // queued while the bridge is away
            published.add("m" + i);
        }
        nsqd.restart();

        await().atMost(Duration.ofSeconds(20)).until(() -> deliveredBodies().containsAll(published));
        await().atMost(Duration.ofSeconds(5)).until(this::isHealthy);
        assertEquals(1, logs.find(Level.WARN, "Lost connection to nsqd " + nsqd.address()).size(), logs.lines().toString());
        assertEquals(1, logs.find(Level.INFO, "Reconnected to nsqd " + nsqd.address()).size(), logs.lines().toString());
    }

    @Test
    void aMalformedFrameClosesTheConnectionWithOneLogLineAndTheConsumerReconnects() throws Exception {
        TestNsqd nsqd = nsqd();
        consume(nsqd, "garbage");
        ClientRecord first = awaitSubscribedClient(nsqd, 1);
        // a frame of type 9: no nsqd sends it
        first.sendRaw(ByteBuffer.allocate(12).putInt(8).putInt(9).putInt(0).array());

        await().atMost(Duration.ofSeconds(10)).until(() -> !first.connected() && nsqd.connectedClients().size() == 1
                && nsqd.connectedClients().get(0).rdy() > 0);
        String id = nsqd.publish("garbage", "after");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
        assertEquals(1, logs.find(Level.WARN, "malformed frame from nsqd: unknown frame type 9").size(),
                logs.lines().toString());
        assertEquals(1, logs.find(Level.INFO, "Reconnected to nsqd").size());
        assertTrue(logs.find(Level.ERROR, "").isEmpty(), "no stack traces: " + logs.find(Level.ERROR, ""));
    }

    /**
     * An nsqd that accepts, completes the handshake and then sends a malformed frame, every time: the reconnects back
     * off as after failed connects (delays 100, 200, 400, 800, 1600 ms, each jittered to half or more), not at once.
     */
    @Test
    void anNsqdThatSendsAMalformedFrameAfterEveryHandshakeIsReconnectedToWithGrowingDelays() throws Exception {
        TestNsqd nsqd = nsqd();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:broken?channel=c&reconnectDelay=100&maxReconnectDelay=3200&servers=" + nsqd.address())
                        .routeId("consumer").process(NsqReconnectTest.this::record);
            }
        });
        java.util.List<Long> intervals = new java.util.ArrayList<>();
        ClientRecord previous = null;
        for (int i = 0; i < 6; i++) {
            int seen = i;
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() ->
                    nsqd.clients().size() > seen && !nsqd.clients().get(seen).commands("SUB").isEmpty());
            ClientRecord client = nsqd.clients().get(i);
            if (previous != null) {
                long connectedAt = client.commands("IDENTIFY").get(0).receivedAtNanos();
                intervals.add(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(connectedAt
                        - previous.closedAtNanos()));
            }
            client.sendRaw(ByteBuffer.allocate(12).putInt(8).putInt(9).putInt(0).array());
            await().atMost(Duration.ofSeconds(5)).until(() -> !client.connected());
            previous = client;
        }
        // delay k is within [d/2, d] for d = 100 << k: two steps on, a delay is surely longer
        for (int k = 0; k + 2 < intervals.size(); k++) {
            assertTrue(intervals.get(k + 2) > intervals.get(k), "reconnect intervals grow: " + intervals);
        }
        assertTrue(intervals.get(4) >= 800, "the fifth reconnect waited at least half of 1.6 s: " + intervals);
        assertEquals(1, logs.find(Level.WARN, "Lost connection to nsqd").size(),
                "one WARN for the outage, not one per loss: " + logs.lines());
    }

    @Test
    void aFatalErrorFrameIsLoggedAndRecoveredFrom() throws Exception {
        TestNsqd nsqd = nsqd();
        consume(nsqd, "fatal");
        ClientRecord first = awaitSubscribedClient(nsqd, 1);
        first.sendError("E_INVALID cannot do that now", true);

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.connectedClients().stream().anyMatch(c -> c != first
                && c.rdy() > 0));
        String id = nsqd.publish("fatal", "after");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
        assertEquals(1, logs.find(Level.WARN, "nsqd answered E_INVALID cannot do that now").size(), logs.lines().toString());
    }

    @Test
    void aNonFatalErrorKeepsTheConnectionAndCountsAPossibleDuplicate() throws Exception {
        TestNsqd nsqd = nsqd();
        consume(nsqd, "nonfatal");
        ClientRecord first = awaitSubscribedClient(nsqd, 1);
        first.sendError("E_FIN_FAILED FIN 0123456789abcdef failed ID not in flight", false);
        NsqConsumer consumer = (NsqConsumer) context.getRoute("consumer").getConsumer();

        await().atMost(Duration.ofSeconds(5)).until(() -> consumer.getPossibleDuplicates() == 1);
        String id = nsqd.publish("nonfatal", "same connection");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
        assertEquals(1, nsqd.clients().size(), "never reconnected");
        assertTrue(first.connected());
    }

    @Test
    void anUnreachableNsqdIsNotAStartupErrorAndIsLoggedOnce() throws Exception {
        TestNsqd nsqd = nsqd();
        nsqd.stop();
        consume(nsqd, "later");
        assertTrue(context.getRouteController().getRouteStatus("consumer").isStarted());
        await().atMost(Duration.ofSeconds(5)).until(() -> !logs.find(Level.WARN, "Cannot connect to nsqd").isEmpty());
        assertTrue(!isHealthy());
        nsqd.restart();
        await().atMost(Duration.ofSeconds(10)).until(this::isHealthy);
        assertEquals(1, logs.find(Level.WARN, "Cannot connect to nsqd " + nsqd.address()).size(), logs.lines().toString());
        String id = nsqd.publish("later", "finally");
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
    }

    private boolean isHealthy() {
        Collection<HealthCheck.Result> results = HealthCheckHelper.invoke(context);
        HealthCheck.Result nsq = results.stream().filter(r -> r.getCheck().getId().equals("consumer:consumer"))
                .findFirst().orElseThrow(() -> new AssertionError("no nsq consumer health check in " + results));
        return nsq.getState() == HealthCheck.State.UP;
    }

    @Test
    void randomGarbageFramesEachCloseTheConnectionAndTheConsumerAlwaysComesBack() throws Exception {
        TestNsqd nsqd = nsqd();
        consume(nsqd, "fuzz");
        java.util.Random random = new java.util.Random(20261121L);
        for (int i = 0; i < 15; i++) {
            ClientRecord client = awaitSubscribedClient(nsqd, 1);
            // a size nsqd would never send, or a valid size with an unknown type
            byte[] garbage = new byte[8 + random.nextInt(24)];
            random.nextBytes(garbage);
            ByteBuffer.wrap(garbage).putInt(random.nextBoolean() ? -1 - random.nextInt(1000) : garbage.length - 4)
                    .putInt(3 + random.nextInt(1000));
            client.sendRaw(garbage);
            await().atMost(Duration.ofSeconds(10)).until(() -> !client.connected());
            String id = nsqd.publish("fuzz", "after garbage " + i);
            await().atMost(Duration.ofSeconds(10)).until(() -> receivedFor(id).size() == 1);
        }
        assertEquals(16, nsqd.clients().size(), "one reconnection per garbage frame");
        // a connection lost before it had been up for maxReconnectDelay continues the outage: logged once, at WARN
        int warned = logs.find(Level.WARN, "malformed frame from nsqd").size();
        assertTrue(warned >= 1 && warned <= 15, warned + " WARN lines");
        assertTrue(logs.find(Level.ERROR, "").isEmpty(), logs.find(Level.ERROR, "").toString());
    }
}
