package io.nsqpush.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Turns a dead-letter record (see {@link DeadLetterRecord}) back into the message it holds: the body becomes the
 * original bytes and the header {@value #SOURCE_TOPIC} names the topic to republish it to.
 */
public class DeadLetterReplay implements Processor {

    public static final String SOURCE_TOPIC = "nsqPushSourceTopic";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void process(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        byte[] record = message.getMandatoryBody(byte[].class);
        JsonNode json = JSON.readTree(record);
        JsonNode topic = json.get("topic");
        JsonNode body = json.get("body");
        if (topic == null || !topic.isTextual() || body == null || !body.isTextual()) {
            throw new InvalidPayloadException(exchange, DeadLetterReplay.class);
        }
        boolean base64 = "base64".equals(json.path("bodyEncoding").asText("utf-8"));
        message.setBody(base64 ? Base64.getDecoder().decode(body.asText())
                : body.asText().getBytes(StandardCharsets.UTF_8));
        message.setHeader(SOURCE_TOPIC, topic.asText());
    }
}
