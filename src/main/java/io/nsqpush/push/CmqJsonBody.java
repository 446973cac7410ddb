package io.nsqpush.push;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/**
 * Writes CMQ's JSON push envelope with Jackson, so every string is escaped correctly, in CMQ's key order and without
 * whitespace. A body that is not strictly valid UTF-8 is never mangled: it goes as base64 with
 * {@code "msgBodyEncoding":"base64"} right after {@code msgBody}.
 */
public final class CmqJsonBody {

    /**
     * Thread-safe and costly to build: one for the JVM. Characters beyond U+FFFF go out as their 4 UTF-8 bytes, as
     * in the message, not as an escaped surrogate pair.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private CmqJsonBody() {
    }

    /**
     * @param topicOwner a {@link Long} (written as a JSON number) or a String (written as a JSON string)
     * @param publishTimeSeconds whole seconds since the epoch
     * @return the envelope as UTF-8 bytes
     */
    public static byte[] write(Object topicOwner, String topicName, String subscriptionName, String msgId,
            byte[] msgBody, long publishTimeSeconds) {
        String text = utf8OrNull(msgBody);
        ByteArrayOutputStream out = new ByteArrayOutputStream(msgBody.length + 192);
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            if (topicOwner instanceof Long number) {
                json.writeNumberField("TopicOwner", number);
            } else {
                json.writeStringField("TopicOwner", String.valueOf(topicOwner));
            }
            json.writeStringField("topicName", topicName);
            json.writeStringField("subscriptionName", subscriptionName);
            json.writeStringField("msgId", msgId);
            if (text != null) {
                json.writeStringField("msgBody", text);
            } else {
                json.writeStringField("msgBody", Base64.getEncoder().encodeToString(msgBody));
                json.writeStringField("msgBodyEncoding", "base64");
            }
            json.writeNumberField("publishTime", publishTimeSeconds);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen writing to memory", e);
        }
        return out.toByteArray();
    }

    /** @return the body as text when it is strictly valid UTF-8, else null */
    static String utf8OrNull(byte[] bytes) {
        // A decoder is stateful and not thread-safe: one per call (cheap next to the HTTP request).
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
