package io.nsqpush.component;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A test nsqlookupd that answers well first, then turns hostile: a 400 MB body, a body trickled a byte at a time, or
 * 10,000 producers. The consumer reads at most lookupdMaxBodySize, ends each request at its deadline, connects to at
 * most lookupdMaxProducers nsqd, logs each trouble once, and keeps consuming from what the last good answer listed.
 */
class HostileLookupdTest extends NsqTestSupport {

    enum Mode { GOOD, HUGE, TRICKLE, MANY }

    private final CapturedLogs logs = CapturedLogs.capture();
    private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.GOOD);
    private final AtomicInteger lookups = new AtomicInteger();
    private final AtomicInteger hostileLookups = new AtomicInteger();
    /** The most bytes one hostile answer got out before the client stopped reading. */
    private final AtomicLong mostWritten = new AtomicLong();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private HttpServer lookupd;
    private TestNsqd nsqd;

    private String startLookupd() throws IOException {
        lookupd = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        lookupd.setExecutor(threads);
        lookupd.createContext("/lookup", exchange -> {
            lookups.incrementAndGet();
            Mode now = mode.get();
            if (now != Mode.GOOD) {
                hostileLookups.incrementAndGet();
            }
            try (exchange) {
                switch (now) {
                    case GOOD -> answer(exchange, producers(1));
                    case MANY -> answer(exchange, producers(10_000));
                    case HUGE -> stream(exchange, 400L << 20, 65536, 0);
                    case TRICKLE -> stream(exchange, Long.MAX_VALUE, 1, 100);
                }
            } catch (IOException | InterruptedException gone) {
                // the client stopped reading: what a hostile server sees
            }
        });
        lookupd.start();
        return "127.0.0.1:" + lookupd.getAddress().getPort();
    }

    /** The test nsqd first, then producers at ports nothing listens on. */
    private String producers(int count) {
        StringBuilder json = new StringBuilder("{\"channels\":[\"c\"],\"producers\":[");
        for (int i = 0; i < count; i++) {
            int port = i == 0 ? nsqd.port() : 20_000 + i;
            json.append(i > 0 ? "," : "").append("{\"broadcast_address\":\"127.0.0.1\",\"tcp_port\":").append(port)
                    .append('}');
        }
        return json.append("]}").toString();
    }

    private static void answer(HttpExchange exchange, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    /** A 200 with a body of {@code total} bytes (spaces after an opening brace), written in chunks. */
    private void stream(HttpExchange exchange, long total, int chunk, long pauseMillis)
            throws IOException, InterruptedException {
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        byte[] spaces = new byte[chunk];
        Arrays.fill(spaces, (byte) ' ');
        out.write('{');
        long written = 1;
        while (written < total) {
            out.write(spaces);
            out.flush();
            written += chunk;
            mostWritten.accumulateAndGet(written, Math::max);
            if (pauseMillis > 0 && stopping.await(pauseMillis, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
    }

    @AfterEach
    void stopLookupd() {
        stopping.countDown();
        if (lookupd != null) {
            lookupd.stop(0);
        }
        threads.shutdownNow();
        logs.close();
    }

    private NsqConsumer consume(String lookupdAddress) throws Exception {
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:disc?channel=c&lookupdPollInterval=1000&reconnectDelay=1000&lookupd=" + lookupdAddress)
                        .routeId("discovering").process(HostileLookupdTest.this::record);
            }
        });
        awaitSubscribedClient(nsqd, 1);
        return (NsqConsumer) context.getRoute("discovering").getConsumer();
    }

    /** The connection the good answer made stays, and a message published now is still consumed. */
    private void stillConsumes(ClientRecord client, String body) {
        assertTrue(client.connected(), "the connection from the last good answer stays");
        String id = nsqd.publish("disc", body);
        await().atMost(Duration.ofSeconds(5)).until(() -> receivedFor(id).size() == 1);
    }

    @Test
    void a400MegabyteAnswerIsCutAtTheLimitLoggedOnceAndTheLastGoodAnswerKept() throws Exception {
        nsqd = nsqd();
        NsqConsumer consumer = consume(startLookupd());
        ClientRecord client = nsqd.connectedClients().get(0);
        mode.set(Mode.HUGE);
        await().atMost(Duration.ofSeconds(20)).until(() -> hostileLookups.get() >= 3);
        assertEquals(1, logs.find(Level.WARN, "sent an answer over 4194304 bytes (lookupdMaxBodySize)").size(),
                logs.lines().toString());
        // a TCP window or two past the limit at most: the client stopped reading and hung up
        assertTrue(mostWritten.get() < 64L << 20, "the server got " + mostWritten + " bytes out");
        stillConsumes(client, "after a huge answer");
        assertEquals(1, consumer.connections().size());
    }

    @Test
    void aTrickledAnswerEndsAtTheDeadlineLoggedOnceAndPollingGoesOn() throws Exception {
        nsqd = nsqd();
        consume(startLookupd());
        ClientRecord client = nsqd.connectedClients().get(0);
        mode.set(Mode.TRICKLE);
        // each poll ends at its 1 s deadline (lookupdPollInterval), so polls keep coming
        await().atMost(Duration.ofSeconds(20)).until(() -> hostileLookups.get() >= 3);
        assertEquals(1, logs.find(Level.WARN, "did not send its whole answer within 1000 ms").size(),
                logs.lines().toString());
        stillConsumes(client, "after a trickled answer");
        mode.set(Mode.GOOD);
        await().atMost(Duration.ofSeconds(10)).until(() -> !logs.find(Level.INFO, "answers again").isEmpty());
    }

    @Test
    void tenThousandProducersOpenAtMostLookupdMaxProducersConnectionsWithOneLineAndAShortHealthText()
            throws Exception {
        nsqd = nsqd();
        NsqConsumer consumer = consume(startLookupd());
        ClientRecord client = nsqd.connectedClients().get(0);
        mode.set(Mode.MANY);
        await().atMost(Duration.ofSeconds(20)).until(() -> consumer.connections().size() == 100);
        await().atMost(Duration.ofSeconds(20)).until(() -> hostileLookups.get() >= 3);
        assertEquals(100, consumer.connections().size(), "lookupdMaxProducers, 100 by default");
        assertEquals(1, logs.find(Level.WARN, "nsqlookupd lists 10000 nsqd for topic disc: connected to 100"
                + " (lookupdMaxProducers), left out 127.0.0.1:20100, 127.0.0.1:20101, 127.0.0.1:20102,"
                + " 127.0.0.1:20103, 127.0.0.1:20104 and 9895 more").size(), logs.lines().toString());
        assertTrue(logs.find(Level.INFO, "nsqlookupd lists nsqd").size() <= 100, "one line per connection made");
        String health = HealthCheckHelper.invoke(context).stream()
                .filter(r -> r.getCheck().getId().contains("discovering"))
                .map(r -> r.getMessage().orElse("")).findFirst().orElseThrow();
        assertTrue(health.endsWith(" and 94 more"), health);
        assertTrue(health.length() < 1000, health);
        stillConsumes(client, "among 10,000 producers");
    }

    @Test
    void impossibleProducerAddressesAreLoggedOnce() throws Exception {
        nsqd = nsqd();
        String address = startLookupd();
        lookupd.removeContext("/lookup");
        lookupd.createContext("/lookup", exchange -> {
            lookups.incrementAndGet();
            try (exchange) {
                answer(exchange, "{\"producers\":[{\"broadcast_address\":\"127.0.0.1\",\"tcp_port\":" + nsqd.port()
                        + "},{\"broadcast_address\":\"0.0.0.0\",\"tcp_port\":4150},"
                        + "{\"broadcast_address\":\"10.0.0.2\",\"tcp_port\":0},"
                        + "{\"broadcast_address\":\"10.0.0.3\",\"tcp_port\":70000}]}");
            }
        });
        NsqConsumer consumer = consume(address);
        await().atMost(Duration.ofSeconds(20)).until(() -> lookups.get() >= 3);
        assertEquals(1, logs.find(Level.WARN, "at addresses no nsqd can have (0.0.0.0, port 0 or above 65535),"
                + " left out: 0.0.0.0:4150, 10.0.0.2:0, 10.0.0.3:70000").size(), logs.lines().toString());
        assertEquals(1, consumer.connections().size());
    }
}
