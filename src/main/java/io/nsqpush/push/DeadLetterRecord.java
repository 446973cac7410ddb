package io.nsqpush.push;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.nsqpush.component.NsqConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Replaces the body with the dead-letter record, a JSON document that holds everything needed to replay the message to
 * its topic: {@code topic, channel, msgId, nsqd, dedupeKey, attempts, publishTime (ms), deadTime (ms), endpoint, lastStatus, lastError,
 * body, bodyEncoding} where body is the original body as UTF-8 text, or base64 when it is not valid UTF-8, nsqd the
 * nsqd the message came from and dedupeKey its {@link DedupeKey} (the webhook-id its requests carried).
 * Runs after {@link DeliveryFailure}, on the body as consumed ({@code push:} leaves the exchange's body as it is;
 * a route that transforms it before sending sets its dead-letter channel's useOriginalBody).
 */
public class DeadLetterRecord implements Processor {

    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public void process(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        byte[] body = message.getBody(byte[].class);
        if (body == null) {
            body = new byte[0];
        }
        String text = CmqJsonBody.utf8OrNull(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 512);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("topic", message.getHeader(NsqConstants.TOPIC, String.class));
            json.writeStringField("channel", message.getHeader(NsqConstants.CHANNEL, String.class));
            json.writeStringField("msgId", message.getHeader(NsqConstants.MESSAGE_ID, String.class));
            json.writeStringField("nsqd", message.getHeader(NsqConstants.ADDRESS, String.class));
            String key = DedupeKey.of(exchange);
            json.writeStringField("dedupeKey", key);
            json.writeNumberField("attempts", message.getHeader(NsqConstants.ATTEMPTS, 0, Integer.class));
            json.writeNumberField("publishTime", message.getHeader(NsqConstants.TIMESTAMP, 0L, Long.class));
            json.writeNumberField("deadTime", System.currentTimeMillis());
            json.writeStringField("endpoint", exchange.getProperty(PushConstants.ENDPOINT, String.class));
            Integer status = exchange.getProperty(PushConstants.LAST_STATUS, Integer.class);
            if (status == null) {
                json.writeNullField("lastStatus");
            } else {
                json.writeNumberField("lastStatus", status);
            }
            json.writeStringField("lastError", exchange.getProperty(PushConstants.LAST_ERROR, String.class));
            DeliveryLog log = exchange.getContext().getRegistry().findSingleByType(DeliveryLog.class);
            if (log != null) {
                String channel = message.getHeader(NsqConstants.CHANNEL, String.class);
                json.writeFieldName("history");
                DeliveryLog.writeHistory(json, log.find(key).stream()
                        .filter(e -> java.util.Objects.equals(channel, e.channel())).toList());
            }
            json.writeStringField("body", text != null ? text : Base64.getEncoder().encodeToString(body));
            json.writeStringField("bodyEncoding", text != null ? "utf-8" : "base64");
            json.writeEndObject();
        }
        message.setBody(out.toByteArray());
        message.setHeader(Exchange.CONTENT_TYPE, "application/json; charset=" + StandardCharsets.UTF_8.name());
    }
}
