package io.nsqpush.component;

import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.TestNsqd;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.health.ConsumersHealthCheckRepository;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/** A test nsqd and a CamelContext per test, and a record of what routes received. */
abstract class NsqTestSupport {

    /** What a route saw of one exchange. */
    record Received(String body, Map<String, Object> headers, long atNanos) {
        String id() {
            return (String) headers.get(NsqConstants.MESSAGE_ID);
        }

        int attempts() {
            return (Integer) headers.get(NsqConstants.ATTEMPTS);
        }
    }

    protected final List<TestNsqd> nsqds = new ArrayList<>();
    protected final List<Received> received = new CopyOnWriteArrayList<>();
    protected CamelContext context;

    protected TestNsqd nsqd() {
        return nsqd(new TestNsqd.Options());
    }

    protected TestNsqd nsqd(TestNsqd.Options options) {
        TestNsqd nsqd = TestNsqd.start(options);
        nsqds.add(nsqd);
        return nsqd;
    }

    protected CamelContext start(RouteBuilder routes) throws Exception {
        context = new DefaultCamelContext();
        // as camel-main does with camel.health.enabled: the consumers repository asks each consumer for its check
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        health.register(new ConsumersHealthCheckRepository());
        context.addRoutes(routes);
        context.start();
        return context;
    }

    /** A processor that records the exchange. */
    protected void record(Exchange exchange) {
        received.add(new Received(exchange.getMessage().getBody(String.class),
                Map.copyOf(exchange.getMessage().getHeaders()), System.nanoTime()));
    }

    protected List<Received> receivedFor(String id) {
        return received.stream().filter(r -> id.equals(r.id())).collect(Collectors.toList());
    }

    protected static List<Command> commands(TestNsqd nsqd, String name, String id) {
        return nsqd.commands(name).stream().filter(c -> !c.args().isEmpty() && c.args().get(0).equals(id))
                .collect(Collectors.toList());
    }

    protected static ClientRecord awaitSubscribedClient(TestNsqd nsqd, int count) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> nsqd.connectedClients().stream().filter(c -> c.rdy() > 0).count() >= count);
        return nsqd.connectedClients().stream().filter(c -> c.rdy() > 0).findFirst().orElseThrow();
    }

    protected static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @AfterEach
    void stopAll() throws Exception {
        if (context != null) {
            context.close();
        }
        nsqds.forEach(TestNsqd::close);
    }
}
