package io.nsqpush.push;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring on an injected clock: its bounds (count and bytes), lookups by either id, and its JSON. */
class DeliveryLogTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);

    private static DeliveryLog.Entry request(long time, String id, String key, int attempt, int status) {
        return new DeliveryLog.Entry(time, id, key, "orders", "nsq-push", "127.0.0.1:4150", attempt, 0,
                "http://h/push", status, status / 100 + "xx", 3, status == 200, status == 200 ? null : "HTTP " + status,
                null);
    }

    private static DeliveryLog.Entry outcome(long time, String id, String key, int attempt,
                                             DeliveryLog.Outcome outcome) {
        return new DeliveryLog.Entry(time, id, key, "orders", "nsq-push", "127.0.0.1:4150", attempt, 0, null, -1,
                null, 0, false, null, outcome);
    }

    @Test
    void oldestEntriesGoFirstWhenTheCountIsReached() {
        DeliveryLog log = new DeliveryLog(now::get, 3, Long.MAX_VALUE);
        for (int i = 0; i < 5; i++) {
            log.add(request(i, "id" + i, "msg_" + i, 1, 200));
        }
        assertEquals(3, log.size());
        assertTrue(log.find("id0").isEmpty());
        assertTrue(log.find("id1").isEmpty());
        assertEquals(List.of(2L, 3L, 4L), List.of(log.find("id2").get(0).time(), log.find("id3").get(0).time(),
                log.find("msg_4").get(0).time()));
    }

    @Test
    void oldestEntriesGoFirstWhenTheBytesAreReached() {
        long one = request(0, "id0", "msg_0", 1, 200).bytes();
        DeliveryLog log = new DeliveryLog(now::get, 1_000, one * 2 + one / 2);
        for (int i = 0; i < 4; i++) {
            log.add(request(i, "id" + i, "msg_" + i, 1, 200));
            assertTrue(log.bytes() <= log.maxBytes(), "bytes " + log.bytes());
        }
        assertEquals(2, log.size(), "two entries fit in 2.5 entries' bytes");
        assertEquals(2 * one, log.bytes());
        assertTrue(log.find("id1").isEmpty());
        assertEquals(1, log.find("id2").size());
        assertEquals(1, log.find("id3").size());
        // an entry's estimate grows with what it holds
        assertTrue(new DeliveryLog.Entry(0, "id", "k", "t", "c", "n", 1, 0, "http://h/" + "x".repeat(1000), 500,
                "5xx", 1, false, "e", null).bytes() > one + 900);
    }

    @Test
    void keepsNothingWhenOff() {
        DeliveryLog log = new DeliveryLog(now::get, 0, 1 << 20);
        log.add(request(0, "id0", "msg_0", 1, 200));
        assertEquals(0, log.size());
        assertEquals(0, log.bytes());
    }

    @Test
    void findsAMessageByEitherIdAndWritesItsHistoryPerMessage() throws Exception {
        DeliveryLog log = new DeliveryLog(now::get, 100, 1 << 20);
        log.add(request(1_000, "0a1b2c3d4e5f6071", "msg_A", 1, 500));
        log.add(outcome(1_010, "0a1b2c3d4e5f6071", "msg_A", 1, DeliveryLog.Outcome.REQUEUED));
        log.add(request(1_020, "ffff000011112222", "msg_B", 1, 200)); // another message
        // the same nsqd id on another topic or nsqd: another message, another key
        log.add(request(1_030, "0a1b2c3d4e5f6071", "msg_C", 1, 200));
        log.add(request(1_200, "0a1b2c3d4e5f6071", "msg_A", 2, 200));
        log.add(outcome(1_210, "0a1b2c3d4e5f6071", "msg_A", 2, DeliveryLog.Outcome.DELIVERED));

        assertEquals(4, log.find("msg_A").size());
        assertEquals(5, log.find("0a1b2c3d4e5f6071").size());
        JsonNode answer = json(log, "0a1b2c3d4e5f6071");
        assertEquals(2, answer.get("messages").size());
        JsonNode a = answer.get("messages").get(0);
        assertEquals("msg_A", a.get("dedupeKey").asText());
        assertEquals("DELIVERED", a.get("outcome").asText());
        assertEquals(2, a.get("requests").asInt());
        JsonNode history = a.get("history");
        assertEquals(4, history.size());
        assertEquals("1970-01-01T00:00:01Z", history.get(0).get("time").asText());
        assertEquals(500, history.get(0).get("status").asInt());
        assertEquals("HTTP 500", history.get(0).get("error").asText());
        assertEquals("REQUEUED", history.get(1).get("outcome").asText());
        assertEquals(2, history.get(2).get("attempt").asInt());
        assertTrue(history.get(2).get("delivered").asBoolean());
        JsonNode c = answer.get("messages").get(1);
        assertEquals("IN_FLIGHT", c.get("outcome").asText(), "its last entry is a request");
    }

    private static JsonNode json(DeliveryLog log, String id) throws Exception {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = new JsonFactory().createGenerator(out)) {
            DeliveryLog.write(json, id, log.find(id));
        }
        return new ObjectMapper().readTree(out.toString());
    }
}
