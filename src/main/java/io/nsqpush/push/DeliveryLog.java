package io.nsqpush.push;

import com.fasterxml.jackson.core.JsonGenerator;
import io.nsqpush.component.NsqConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What happened to recent messages, for an operator who asks about one: each HTTP request (when, which attempt, the
 * endpoint with its secrets masked, status, latency, error) and how each attempt ended ({@link Outcome}). A ring of
 * the latest entries, bounded by their number and by an estimate of the memory they hold (no bodies, no headers);
 * the oldest go first. Looked up by nsqd's message id ({@code x-cmq-message-id}) or by the dedupe key
 * ({@code webhook-id}) with a scan: lookups are an operator's, rare, and recording stays one append.
 */
public final class DeliveryLog implements DeliveryListener {

    /** How one attempt (one exchange from nsqd) ended. */
    public enum Outcome {
        /** The endpoint took it (FIN). */
        DELIVERED,
        /** push.sample left it unsent (FIN). */
        SKIPPED,
        /** Sent back to nsqd (REQ) for a later attempt. */
        REQUEUED,
        /** Kept unanswered while the endpoint is away; sent again when it answers. */
        HELD,
        /** Kept as a dead letter (FIN). */
        DEAD_LETTERED,
        /** Finished without a request (a route that did not push it). */
        FINISHED
    }

    /** Estimated bytes of an entry without its strings: the object, its fields, the ring's slot. */
    static final int ENTRY_BYTES = 120;
    /** Estimated bytes of a string besides its characters (Latin-1 strings keep one byte per character). */
    static final int STRING_BYTES = 48;

    /**
     * One request, or the end of one attempt (then {@code outcome} is set and the request's fields are empty).
     *
     * @param time       when the request was sent, or the attempt ended (epoch milliseconds)
     * @param attempt    nsqd's attempt ({@code CamelNsqAttempts}), 0 when not from nsq:
     * @param redelivery the route's redelivery within that attempt, 0 for its first request (and for an outcome)
     * @param status     the HTTP status, -1 for none
     */
    public record Entry(long time, String messageId, String dedupeKey, String topic, String channel, String nsqd,
                        int attempt, int redelivery, String endpoint, int status, String statusClass,
                        long latencyMillis, boolean delivered, String error, Outcome outcome) {

        boolean matches(String id) {
            return id.equals(messageId) || id.equals(dedupeKey);
        }

        long bytes() {
            return ENTRY_BYTES + size(messageId) + size(dedupeKey) + size(topic) + size(channel) + size(nsqd)
                    + size(endpoint) + size(statusClass) + size(error);
        }

        private static long size(String text) {
            return text == null ? 0 : STRING_BYTES + text.length();
        }
    }

    private final LongSupplier clock;
    private final int maxEntries;
    private final long maxBytes;
    private final ArrayDeque<Entry> ring = new ArrayDeque<>();
    private long bytes;

    /**
     * @param clock      the time in epoch milliseconds
     * @param maxEntries entries kept at most; 0 keeps none
     * @param maxBytes   estimated bytes kept at most
     */
    public DeliveryLog(LongSupplier clock, int maxEntries, long maxBytes) {
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    @Override
    public void requested(Exchange exchange, Request request) {
        Message in = exchange.getIn();
        add(new Entry(clock.getAsLong() - request.latencyMillis(), in.getHeader(NsqConstants.MESSAGE_ID, String.class),
                request.dedupeKey(), in.getHeader(NsqConstants.TOPIC, String.class),
                in.getHeader(NsqConstants.CHANNEL, String.class), in.getHeader(NsqConstants.ADDRESS, String.class),
                in.getHeader(NsqConstants.ATTEMPTS, 0, Integer.class),
                in.getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class), request.endpoint() /* masked by push: once per URL */,
                request.status(), request.statusClass(), request.latencyMillis(), request.delivered(),
                request.error() == null ? null : Redaction.message(request.error()), null));
    }

    /** Records how the exchange's attempt ended, once it is done. */
    public void finished(Exchange exchange) {
        Message in = exchange.getMessage();
        add(new Entry(clock.getAsLong(), in.getHeader(NsqConstants.MESSAGE_ID, String.class), DedupeKey.of(exchange),
                in.getHeader(NsqConstants.TOPIC, String.class), in.getHeader(NsqConstants.CHANNEL, String.class),
                in.getHeader(NsqConstants.ADDRESS, String.class), in.getHeader(NsqConstants.ATTEMPTS, 0, Integer.class),
                0, null, -1, null, 0, false, null, outcomeOf(exchange)));
    }

    /** @return how a finished exchange's attempt ended, from what push: and the dead-letter route set on it */
    public static Outcome outcomeOf(Exchange exchange) {
        if (exchange.getProperty(PushConstants.DELIVERED, false, Boolean.class)) {
            return Outcome.DELIVERED;
        }
        if (exchange.getProperty(PushConstants.SKIPPED, false, Boolean.class)) {
            return Outcome.SKIPPED;
        }
        DeliveryFailure.Outcome failure = exchange.getProperty(PushConstants.OUTCOME, DeliveryFailure.Outcome.class);
        boolean requeue = exchange.getProperty(NsqConstants.REQUEUE, false, Boolean.class)
                || exchange.getException() != null;
        if (failure == DeliveryFailure.Outcome.HELD) {
            return Outcome.HELD;
        }
        if (failure == DeliveryFailure.Outcome.DEAD_LETTER && !requeue) {
            return Outcome.DEAD_LETTERED;
        }
        return requeue ? Outcome.REQUEUED : Outcome.FINISHED;
    }

    synchronized void add(Entry entry) {
        if (maxEntries <= 0) {
            return;
        }
        ring.addLast(entry);
        bytes += entry.bytes();
        while (ring.size() > maxEntries || bytes > maxBytes) {
            bytes -= ring.removeFirst().bytes();
        }
    }

    /** @return the entries of that message id or dedupe key still kept, oldest first */
    public synchronized List<Entry> find(String id) {
        List<Entry> found = new ArrayList<>();
        if (id != null) {
            for (Entry entry : ring) {
                if (entry.matches(id)) {
                    found.add(entry);
                }
            }
        }
        return found;
    }

    public synchronized int size() {
        return ring.size();
    }

    /** @return the estimated bytes the kept entries hold */
    public synchronized long bytes() {
        return bytes;
    }

    public int maxEntries() {
        return maxEntries;
    }

    public long maxBytes() {
        return maxBytes;
    }

    // ------------------------------------------------------------------------------------------------- JSON

    /**
     * Writes what is known of an id: {@code {"id", "messages": [...]}}, a message per dedupe key and channel (an
     * nsqd id may name messages of several topics or nsqds; every channel of a topic has its own copy), each with its
     * outcome so far ({@code IN_FLIGHT} while its last entry is a request) and its history.
     */
    public static void write(JsonGenerator json, String id, List<Entry> entries) throws IOException {
        Map<String, List<Entry>> messages = new LinkedHashMap<>();
        for (Entry entry : entries) {
            messages.computeIfAbsent(entry.dedupeKey() + "\n" + entry.channel(), k -> new ArrayList<>()).add(entry);
        }
        json.writeStartObject();
        json.writeStringField("id", id);
        json.writeArrayFieldStart("messages");
        for (List<Entry> message : messages.values()) {
            Entry first = message.get(0);
            Entry last = message.get(message.size() - 1);
            json.writeStartObject();
            json.writeStringField("messageId", first.messageId());
            json.writeStringField("dedupeKey", first.dedupeKey());
            json.writeStringField("topic", first.topic());
            json.writeStringField("channel", first.channel());
            json.writeStringField("nsqd", first.nsqd());
            json.writeStringField("outcome", last.outcome() == null ? "IN_FLIGHT" : last.outcome().name());
            json.writeNumberField("requests", message.stream().filter(e -> e.outcome() == null).count());
            json.writeFieldName("history");
            writeHistory(json, message);
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /** Writes the entries as an array: a request's fields, or an attempt's outcome. */
    public static void writeHistory(JsonGenerator json, List<Entry> entries) throws IOException {
        json.writeStartArray();
        for (Entry entry : entries) {
            json.writeStartObject();
            json.writeStringField("time", Instant.ofEpochMilli(entry.time()).toString());
            json.writeNumberField("attempt", entry.attempt());
            if (entry.outcome() != null) {
                json.writeStringField("outcome", entry.outcome().name());
            } else {
                json.writeNumberField("redelivery", entry.redelivery());
                json.writeStringField("endpoint", entry.endpoint());
                if (entry.status() > 0) {
                    json.writeNumberField("status", entry.status());
                } else {
                    json.writeNullField("status");
                }
                json.writeStringField("statusClass", entry.statusClass());
                json.writeNumberField("latencyMs", entry.latencyMillis());
                json.writeBooleanField("delivered", entry.delivered());
                if (entry.error() != null) {
                    json.writeStringField("error", entry.error());
                }
            }
            json.writeEndObject();
        }
        json.writeEndArray();
    }
}
