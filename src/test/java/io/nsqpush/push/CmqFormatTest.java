package io.nsqpush.push;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.Version;
import io.nsqpush.component.NsqConstants;
import org.apache.camel.Exchange;
import org.apache.camel.NoSuchHeaderException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PropertyBindingSupport;
import org.junit.jupiter.api.Test;

class CmqFormatTest {

    private static final String ID = "0a1b2c3d4e5f6789";
    private static final long TIMESTAMP_MS = 1_700_000_123_999L;

    private final DefaultCamelContext context = new DefaultCamelContext();

    private Exchange message(byte[] body) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getIn().setBody(body);
        exchange.getIn().setHeader(NsqConstants.MESSAGE_ID, ID);
        exchange.getIn().setHeader(NsqConstants.TIMESTAMP, TIMESTAMP_MS);
        exchange.getIn().setHeader(NsqConstants.TOPIC, "MyTopic");
        exchange.getIn().setHeader(NsqConstants.CHANNEL, "mysubscription");
        exchange.getIn().setHeader("CamelNsqAttempts", 1);
        return exchange;
    }

    private static String bodyText(Exchange exchange) {
        return new String(exchange.getIn().getBody(byte[].class), StandardCharsets.UTF_8);
    }

    @Test
    void jsonIsExactAndEscaped() throws Exception {
        CmqFormat formatter = new CmqFormat();
        formatter.setTopicOwner("100015036");
        String text = "héllo \u4f60\u597d \ud83d\ude00 \"quoted\" back\\slash\nline2\r\ttab\u0001";
        Exchange exchange = message(text.getBytes(StandardCharsets.UTF_8));

        formatter.process(exchange);

        String expected = "{\"TopicOwner\":100015036,\"topicName\":\"MyTopic\",\"subscriptionName\":\"mysubscription\","
                + "\"msgId\":\"0a1b2c3d4e5f6789\",\"msgBody\":\"héllo \u4f60\u597d \ud83d\ude00 \\\"quoted\\\" "
                + "back\\\\slash\\nline2\\r\\ttab\\u0001\",\"publishTime\":1700000123}";
        assertEquals(expected, bodyText(exchange));
        assertInstanceOf(byte[].class, exchange.getIn().getBody());
        JsonNode parsed = new ObjectMapper().readTree(exchange.getIn().getBody(byte[].class));
        assertEquals(text, parsed.get("msgBody").asText());
    }

    @Test
    void headersOnEveryRequest() throws Exception {
        Exchange exchange = message("x".getBytes(StandardCharsets.UTF_8));
        new CmqFormat().process(exchange);

        assertEquals(ID, exchange.getIn().getHeader(CmqHeaders.MESSAGE_ID));
        assertEquals("text/plain", exchange.getIn().getHeader(Exchange.CONTENT_TYPE));
        assertEquals(Version.userAgent(), exchange.getIn().getHeader("User-Agent"));
        assertTrue(Version.userAgent().startsWith("nsq-push/"));
        assertNull(exchange.getIn().getHeader(Exchange.HTTP_METHOD), "the method is the delivery step's");
    }

    @Test
    void contentTypeIsConfigurable() throws Exception {
        CmqFormat formatter = new CmqFormat();
        formatter.setContentType("application/json");
        Exchange exchange = message(new byte[] {'x'});
        formatter.process(exchange);
        assertEquals("application/json", exchange.getIn().getHeader(Exchange.CONTENT_TYPE));
    }

    @Test
    void topicOwnerIsANumberOnlyWhenAllDigits() throws Exception {
        CmqFormat formatter = new CmqFormat();
        ObjectMapper mapper = new ObjectMapper();

        formatter.setTopicOwner("100015036");
        Exchange numeric = message(new byte[] {'x'});
        formatter.process(numeric);
        assertTrue(bodyText(numeric).startsWith("{\"TopicOwner\":100015036,"), bodyText(numeric));

        formatter.setTopicOwner("app-42");
        Exchange text = message(new byte[] {'x'});
        formatter.process(text);
        assertTrue(bodyText(text).startsWith("{\"TopicOwner\":\"app-42\","), bodyText(text));

        formatter.setTopicOwner("99999999999999999999"); // all digits but beyond a long
        Exchange huge = message(new byte[] {'x'});
        formatter.process(huge);
        assertTrue(mapper.readTree(bodyText(huge)).get("TopicOwner").isTextual());

        formatter.setTopicOwner("007"); // a number would lose the zeros
        Exchange zeros = message(new byte[] {'x'});
        formatter.process(zeros);
        assertEquals("007", mapper.readTree(bodyText(zeros)).get("TopicOwner").textValue());

        Exchange unset = message(new byte[] {'x'});
        new CmqFormat().process(unset);
        assertTrue(bodyText(unset).startsWith("{\"TopicOwner\":\"\","), bodyText(unset));
    }

    @Test
    void tagsFromConfiguration() throws Exception {
        CmqFormat formatter = new CmqFormat();
        formatter.setTags(" a, ,b ,");
        Exchange exchange = message(new byte[] {'x'});
        formatter.process(exchange);
        assertEquals("a, b", exchange.getIn().getHeader(CmqHeaders.MESSAGE_TAG));
    }

    @Test
    void tagsFromHeaderOverrideConfiguration() throws Exception {
        CmqFormat formatter = new CmqFormat();
        formatter.setTags("a,b");

        Exchange fromString = message(new byte[] {'x'});
        fromString.getIn().setHeader(CmqHeaders.NSQ_MESSAGE_TAG, "c,d");
        formatter.process(fromString);
        assertEquals("c, d", fromString.getIn().getHeader(CmqHeaders.MESSAGE_TAG));

        Exchange fromList = message(new byte[] {'x'});
        fromList.getIn().setHeader(CmqHeaders.NSQ_MESSAGE_TAG, List.of("e", " ", "f "));
        formatter.process(fromList);
        assertEquals("e, f", fromList.getIn().getHeader(CmqHeaders.MESSAGE_TAG));
    }

    @Test
    void noTagsMeansNoTagHeader() throws Exception {
        Exchange exchange = message(new byte[] {'x'});
        exchange.getIn().setHeader(CmqHeaders.MESSAGE_TAG, "stale"); // e.g. left by an earlier step
        new CmqFormat().process(exchange);
        assertFalse(exchange.getIn().getHeaders().containsKey(CmqHeaders.MESSAGE_TAG));

        CmqFormat blank = new CmqFormat();
        blank.setTags(" , ");
        Exchange other = message(new byte[] {'x'});
        blank.process(other);
        assertFalse(other.getIn().getHeaders().containsKey(CmqHeaders.MESSAGE_TAG));
    }

    @Test
    void theMessageIdIsStableAndRequestIdsAreLeftToEachRequest() throws Exception {
        CmqFormat formatter = new CmqFormat();
        Exchange exchange = message("x".getBytes(StandardCharsets.UTF_8));

        formatter.process(exchange);
        assertEquals(ID, exchange.getIn().getHeader(CmqHeaders.MESSAGE_ID));
        // formatted again (the message comes back after a REQ): the same id, still no request id
        exchange.getIn().setBody("x".getBytes(StandardCharsets.UTF_8));
        formatter.process(exchange);

        assertEquals(ID, exchange.getIn().getHeader(CmqHeaders.MESSAGE_ID));
        assertNull(exchange.getIn().getHeader(CmqHeaders.REQUEST_ID), "set per HTTP request by the delivery step");
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = CmqRequestId.newId();
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            ids.add(id);
        }
        assertEquals(10_000, ids.size());
    }

    @Test
    void invalidUtf8IsSentAsBase64() throws Exception {
        byte[] body = {'o', 'k', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, 0x00, (byte) 0xED, (byte) 0xA0, (byte) 0x80};
        Exchange exchange = message(body);
        new CmqFormat().process(exchange);

        String json = bodyText(exchange);
        assertTrue(json.contains("\"msgBody\":\"" + Base64.getEncoder().encodeToString(body)
                + "\",\"msgBodyEncoding\":\"base64\",\"publishTime\":1700000123}"), json);
        JsonNode parsed = new ObjectMapper().readTree(json);
        assertArrayEquals(body, Base64.getDecoder().decode(parsed.get("msgBody").asText()));
        assertEquals("base64", parsed.get("msgBodyEncoding").asText());
    }

    @Test
    void validUtf8HasNoEncodingField() throws Exception {
        Exchange exchange = message("plain".getBytes(StandardCharsets.UTF_8));
        new CmqFormat().process(exchange);
        assertFalse(bodyText(exchange).contains("msgBodyEncoding"), bodyText(exchange));
    }

    @Test
    void simplifiedKeepsTheBodyByteForByte() throws Exception {
        byte[] body = {0x00, (byte) 0xFF, 'a', (byte) 0xC3, 0x00, (byte) 0xFE, '\n'};
        byte[] copy = body.clone();
        CmqFormat formatter = new CmqFormat();
        formatter.setFormat("SIMPLIFIED");
        formatter.setTags("a,b");
        Exchange exchange = message(body);

        formatter.process(exchange);

        assertSame(body, exchange.getIn().getBody());
        assertArrayEquals(copy, exchange.getIn().getBody(byte[].class));
        assertEquals(ID, exchange.getIn().getHeader(CmqHeaders.MESSAGE_ID));
        assertEquals("a, b", exchange.getIn().getHeader(CmqHeaders.MESSAGE_TAG));
        assertEquals(exchange.getIn().getHeader(NsqConstants.TOPIC), exchange.getIn().getHeader(CmqHeaders.TOPIC_NAME),
                "the topic, for a receiver of several topics on one URL");
        assertNull(exchange.getIn().getHeader(Exchange.HTTP_METHOD), "the method is the delivery step's");
    }

    @Test
    void jsonNeedsTheNsqHeaders() {
        Exchange exchange = message(new byte[] {'x'});
        exchange.getIn().removeHeader(NsqConstants.TOPIC);
        NoSuchHeaderException e = assertThrows(NoSuchHeaderException.class,
                () -> new CmqFormat().process(exchange));
        assertTrue(e.getMessage().contains(NsqConstants.TOPIC), e.getMessage());
    }

    @Test
    void configuredByCamelPropertyBinding() throws Exception {
        CmqFormat formatter = new CmqFormat();
        Map<String, Object> properties = new HashMap<>(Map.of("format", " simplified ", "topicOwner", "123",
                "tags", "x,y", "contentType", "text/csv"));
        PropertyBindingSupport.build().bind(context, formatter, properties);

        assertEquals(PushFormat.SIMPLIFIED, formatter.getFormat());
        assertEquals("123", formatter.getTopicOwner());
        assertEquals("x,y", formatter.getTags());
        assertEquals("text/csv", formatter.getContentType());
    }

    @Test
    void parseAcceptsAnyCaseAndSpaces() {
        assertEquals(PushFormat.JSON, PushFormat.parse(" json "));
        assertEquals(PushFormat.SIMPLIFIED, PushFormat.parse("push.format", "Simplified"));
    }

    @Test
    void parseNamesTheKeyTheValueAndTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PushFormat.parse("push.format", "XML"));
        assertEquals("push.format 'XML' is not one of them: allowed JSON, SIMPLIFIED", e.getMessage());

        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> PushFormat.parse(""));
        assertEquals("format '' is not one of them: allowed JSON, SIMPLIFIED", empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PushFormat.parse("push.format", null));
        assertThrows(IllegalArgumentException.class, () -> new CmqFormat().setFormat("xml"));
    }
}
