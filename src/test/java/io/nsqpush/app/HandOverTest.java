package io.nsqpush.app;

import io.nsqpush.component.NsqConsumer;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dead-letter URI that hands the exchange over (seda:, as the README allows any Camel URI): the message is FINed
 * once, when the record is kept by the route that takes it over, never REQed, and the counters come back to 0.
 */
class HandOverTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private TestEndpoint endpoint;
    private Bridge bridge;
    private Path kept;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd);
        if (kept != null) {
            try (Stream<Path> files = Files.list(kept)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(kept);
        }
    }

    @Test
    void aDeadLetterKeptThroughSedaIsFinishedOnceWhenTheRecordIsWritten() throws Exception {
        endpoint = TestEndpoint.start().answer(n -> 500);
        kept = Files.createTempDirectory("kept");
        String keeper = """
                - route:
                    id: keeper
                    from:
                      uri: seda:kept
                      steps:
                        - delay:
                            constant: 1000
                        - to:
                            uri: "file:%s"
                """.formatted(kept);
        bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", endpoint.url("/push"),
                "nsq.max-attempts", "1", "push.redeliveries", "0", "dead-letter.uri", "seda:kept",
                "routes.reload-enabled", "false"), Map.of("keeper.yaml", keeper));
        await().atMost(Duration.ofSeconds(10)).until(() -> !nsqd.connectedClients().isEmpty());
        List<String> ids = List.of(nsqd.publish("orders", "one"), nsqd.publish("orders", "two"),
                nsqd.publish("orders", "three"));

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 3);
        // the keeper takes a second before it writes: a FIN at the hand-over would come before the files
        try (Stream<Path> files = Files.list(kept)) {
            assertEquals(3, files.count(), "each record kept once, before its FIN");
        }
        assertEquals(3, endpoint.requests().size(), "one POST each: nothing came back");
        assertEquals(0, nsqd.requeueCount("orders", "nsq-push"));
        for (String id : ids) {
            List<Command> fins = nsqd.commands("FIN").stream().filter(c -> c.arg(0).equals(id))
                    .toList();
            assertEquals(1, fins.size(), id);
            long afterPostMs = (fins.get(0).receivedAtNanos() - endpoint.requestsFor(id).get(0).receivedAtNanos())
                    / 1_000_000;
            assertTrue(afterPostMs >= 900, id + " FINed " + afterPostMs + " ms after its POST, before its record");
        }
        NsqConsumer consumer = (NsqConsumer) bridge.context().getRoute("push").getConsumer();
        await().atMost(Duration.ofSeconds(5)).until(() -> consumer.getInFlight() == 0);
        assertEquals(0, consumer.getPossibleDuplicates());
    }
}
