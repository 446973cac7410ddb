package io.nsqpush.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.component.NsqConstants;
import io.nsqpush.testsupport.RawHttpServer;
import io.nsqpush.testsupport.RawHttpServer.Answer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A dead letter keeps its message's key: in the record, and through DeadLetterReplay to a push: after it. */
class DeadLetterKeyTest {

    private CamelContext context;
    private RawHttpServer server;

    @AfterEach
    void stop() throws Exception {
        if (context != null) {
            context.stop();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theRecordHoldsTheKeyAndAReplayedRecordIsPushedUnderIt() throws Exception {
        server = RawHttpServer.start(r -> Answer.status(200));
        context = new DefaultCamelContext();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from("direct:record").process(new DeadLetterRecord());
                from("direct:replay").process(new DeadLetterReplay()).to("push:" + server.url("/hook")
                        + "?format=SIMPLIFIED");
            }
        });
        context.start();
        ProducerTemplate template = context.createProducerTemplate();

        Exchange dead = template.send("direct:record", e -> nsq(e, "10.0.0.7:4150", "orders", "18a858ed4a269000",
                "the message"));
        String key = DedupeKey.of("10.0.0.7:4150", "orders", "18a858ed4a269000");
        byte[] record = dead.getMessage().getBody(byte[].class);
        JsonNode json = new ObjectMapper().readTree(record);
        assertEquals(key, json.get("dedupeKey").asText(), json.toString());
        assertEquals("10.0.0.7:4150", json.get("nsqd").asText());
        assertEquals("18a858ed4a269000", json.get("msgId").asText(), "nsqd's id, to look it up there");

        // the record as a message of the dead-letter topic, on another nsqd, with an id of its own
        Exchange replayed = template.send("direct:replay", e -> {
            nsq(e, "10.0.0.8:4150", "orders.dead-letter", "18a8590000000000", null);
            e.getIn().setBody(record);
        });
        assertEquals(null, replayed.getException());
        RawHttpServer.Request request = server.requests().get(0);
        assertEquals("the message", new String(request.body(), StandardCharsets.UTF_8));
        assertEquals(key, request.header("webhook-id"), "the key its first requests had");
        assertEquals(null, request.header(DedupeKey.HEADER), "the exchange header is not sent");
    }

    @Test
    void aRecordWhoseKeyIsNotOneIsRefused() throws Exception {
        context = new DefaultCamelContext();
        context.start();
        Exchange exchange = new org.apache.camel.support.DefaultExchange(context);
        exchange.getIn().setBody(("{\"topic\":\"orders\",\"msgId\":\"0123456789abcdef\",\"dedupeKey\":\"msg_../x\","
                + "\"body\":\"x\",\"bodyEncoding\":\"utf-8\"}").getBytes(StandardCharsets.UTF_8));
        InvalidRecordException e = assertInstanceOf(InvalidRecordException.class,
                org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                        () -> new DeadLetterReplay().process(exchange)));
        assertTrue(e.getMessage().startsWith("msgId=0123456789abcdef: dedupeKey \"msg_../x\" is not a dedupe key"),
                e.getMessage());
    }

    private static void nsq(Exchange exchange, String nsqd, String topic, String id, String body) {
        exchange.getIn().setBody(body == null ? null : body.getBytes(StandardCharsets.UTF_8));
        exchange.getIn().setHeader(NsqConstants.ADDRESS, nsqd);
        exchange.getIn().setHeader(NsqConstants.TOPIC, topic);
        exchange.getIn().setHeader(NsqConstants.CHANNEL, "nsq-push");
        exchange.getIn().setHeader(NsqConstants.MESSAGE_ID, id);
        exchange.getIn().setHeader(NsqConstants.ATTEMPTS, 5);
        exchange.getIn().setHeader(NsqConstants.TIMESTAMP, 1_700_000_000_000L);
    }
}
