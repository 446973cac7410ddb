package io.nsqpush.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.nsq.NsqNames;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Turns a dead-letter record (see {@link DeadLetterRecord}) back into the message it holds: the body becomes the
 * original bytes, the header {@value #SOURCE_TOPIC} names the topic to republish it to and {@value DedupeKey#HEADER}
 * holds the record's dedupe key (when it has one), so that a {@code push:} after this step sends it under the key its
 * first requests had. (NSQ messages carry no headers: a message republished through a topic is a new message of
 * that topic, with a new key; see the README, "Formats".)
 * <p>
 * A record is data, written by whoever can publish to the dead-letter topic, and its topic becomes part of an
 * {@code nsq:} URI: {@code orders?servers=elsewhere:4150} would publish the message (and send the AUTH secret) to
 * another nsqd. So the record is checked first, and one that is not a JSON object with a valid, non-ephemeral NSQ topic
 * (not the topic replay reads, which would loop), a non-empty string body and a known bodyEncoding fails with
 * {@link InvalidRecordException}, its body untouched, for the route to keep it aside.
 */
public class DeadLetterReplay implements Processor {

    public static final String SOURCE_TOPIC = "nsqPushSourceTopic";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The longest excerpt of a record's value quoted in a log line. */
    private static final int EXCERPT = 80;

    @Override
    public void process(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        JsonNode record;
        try {
            record = JSON.readTree(message.getMandatoryBody(byte[].class));
        } catch (JsonProcessingException e) {
            throw new InvalidRecordException("not a dead-letter record: it is not JSON");
        }
        if (record == null || !record.isObject()) {
            throw new InvalidRecordException("not a dead-letter record: it is not a JSON object");
        }
        JsonNode msgId = record.get("msgId");
        String which = msgId != null && msgId.isTextual() ? "msgId=" + excerpt(msgId.asText()) + ": " : "";
        String topic = record.path("topic").isTextual() ? record.get("topic").asText() : null;
        if (topic == null || !NsqNames.isValid(topic) || topic.endsWith("#ephemeral")) {
            throw new InvalidRecordException(which + "topic " + (topic == null ? "missing or not a string"
                    : "\"" + excerpt(topic) + "\" is not a topic to publish to: allowed 1-64 characters of"
                    + " [.a-zA-Z0-9_-], not #ephemeral"));
        }
        if (topic.equals(message.getHeader(io.nsqpush.component.NsqConstants.TOPIC, String.class))) {
            throw new InvalidRecordException(which + "topic \"" + topic + "\" is the one replay reads from: the"
                    + " message would come back forever");
        }
        String key = key(record, which);
        message.setBody(body(record, which));
        message.setHeader(SOURCE_TOPIC, topic);
        if (key != null) {
            message.setHeader(DedupeKey.HEADER, key);
        } else {
            message.removeHeader(DedupeKey.HEADER);
        }
    }

    /** @return the record's dedupe key, or null for a record written before records had one */
    private static String key(JsonNode record, String which) throws InvalidRecordException {
        JsonNode key = record.get("dedupeKey");
        if (key == null || key.isNull()) {
            return null;
        }
        if (!key.isTextual() || !DedupeKey.FORM.matcher(key.asText()).matches()) {
            throw new InvalidRecordException(which + "dedupeKey " + excerpt(String.valueOf(key))
                    + " is not a dedupe key: allowed msg_ and 22 base64url characters");
        }
        return key.asText();
    }

    private static byte[] body(JsonNode record, String which) throws InvalidRecordException {
        JsonNode body = record.get("body");
        JsonNode encoding = record.get("bodyEncoding");
        if (body == null || !body.isTextual()) {
            throw new InvalidRecordException(which + "body missing or not a string");
        }
        byte[] bytes;
        if (encoding == null || "utf-8".equals(encoding.textValue())) {
            bytes = body.asText().getBytes(StandardCharsets.UTF_8);
        } else if ("base64".equals(encoding.textValue())) {
            try {
                bytes = Base64.getDecoder().decode(body.asText());
            } catch (IllegalArgumentException e) {
                throw new InvalidRecordException(which + "body is not valid base64 (" + excerpt(e.getMessage()) + ")");
            }
        } else {
            throw new InvalidRecordException(which + "bodyEncoding " + excerpt(String.valueOf(encoding))
                    + " is neither \"utf-8\" nor \"base64\"");
        }
        if (bytes.length == 0) {
            throw new InvalidRecordException(which + "body is empty, which nsqd refuses");
        }
        return bytes;
    }

    /** @return the value masked, on one line of printable ASCII, cut to {@value #EXCERPT} characters */
    private static String excerpt(String value) {
        String masked = Redaction.uri(value).replaceAll("[^\\x20-\\x7e]", "?");
        return masked.length() <= EXCERPT ? masked : masked.substring(0, EXCERPT) + "...";
    }
}
