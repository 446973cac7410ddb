package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.PublishedMessage;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.FakeLookupd;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bridge with nsqlookupd and no nsqd address: it consumes what lookupd finds and dead-letters through it. */
class DiscoveryOnlyTest {

    @Test
    void aDeadLetterIsPublishedThroughTheNsqdTheMessageCameFromThenTheMessageIsFinished() throws Exception {
        try (TestNsqd nsqd = TestNsqd.start(); FakeLookupd lookupd = FakeLookupd.start();
             TestEndpoint endpoint = TestEndpoint.start()) {
            lookupd.list(nsqd.address());
            endpoint.answer(n -> 500);
            String id = nsqd.publish("orders", "never accepted");

            try (Bridge bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", "",
                    "nsq.lookupd-http-addresses", lookupd.address(), "push.url", endpoint.url("/push"),
                    "nsq.max-attempts", "1", "push.redeliveries", "0"))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
            }

            assertEquals(1, endpoint.requestsFor(id).size());
            List<PublishedMessage> deadLetters = nsqd.published("orders.dead-letter");
            assertEquals(1, deadLetters.size(), "exactly one record");
            assertEquals(1, nsqd.commands("PUB").size());
            JsonNode record = new ObjectMapper().readTree(deadLetters.get(0).body());
            assertEquals(id, record.get("msgId").asText());
            assertEquals("orders", record.get("topic").asText());
            assertEquals("never accepted", record.get("body").asText());
            List<Command> fin = nsqd.commands("FIN");
            assertEquals(List.of(id), fin.stream().map(c -> c.arg(0)).toList());
            assertTrue(fin.get(0).receivedAtNanos() > deadLetters.get(0).receivedAtNanos(), "FIN after the PUB");
            // the consumer found the nsqd with /lookup; the dead letter went to the nsqd the message came from
            assertTrue(lookupd.requests().contains("/lookup?topic=orders"), lookupd.requests().toString());
            assertTrue(!lookupd.requests().contains("/nodes"), lookupd.requests().toString());
        }
    }
}
