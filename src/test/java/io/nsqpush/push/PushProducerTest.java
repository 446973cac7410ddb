package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import io.nsqpush.testsupport.RawHttpServer;
import io.nsqpush.testsupport.RawHttpServer.Answer;
import io.nsqpush.testsupport.RawHttpServer.Request;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The push: producer in a bare CamelContext: {@code direct:in -> push:<url>}, against real sockets. */
class PushProducerTest {

    private static final String ID = "0a1b2c3d4e5f6789";
    private final List<AutoCloseable> closing = new ArrayList<>();
    private CamelContext context;
    private ProducerTemplate template;

    @AfterEach
    void stop() throws Exception {
        if (context != null) {
            context.stop();
        }
        for (AutoCloseable each : closing) {
            each.close();
        }
    }

    private RawHttpServer server(RawHttpServer.Behaviour behaviour) throws Exception {
        RawHttpServer server = RawHttpServer.start(behaviour);
        closing.add(server);
        return server;
    }

    /** A context whose route direct:in sends to each of the URIs in turn (direct:in0, direct:in1, ...). */
    private void routes(Map<String, String> componentOptions, String... uris) throws Exception {
        context = new DefaultCamelContext();
        PushComponent push = context.getComponent("push", PushComponent.class);
        // component-wide options, as camel.component.push.<option> sets them
        org.apache.camel.support.PropertyBindingSupport.build().withConfigurer(
                        org.apache.camel.support.PluginHelper.getConfigurerResolver(context)
                                .resolvePropertyConfigurer("push-component", context))
                .bind(context, push, new java.util.HashMap<>(componentOptions));
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                for (int i = 0; i < uris.length; i++) {
                    from("direct:in" + i).to(uris[i]);
                }
            }
        });
        context.start();
        template = context.createProducerTemplate();
    }

    private Exchange send(int route, byte[] body) {
        return template.send("direct:in" + route, exchange -> nsq(exchange, body));
    }

    private static void nsq(Exchange exchange, byte[] body) {
        exchange.getIn().setBody(body);
        exchange.getIn().setHeader(NsqConstants.MESSAGE_ID, ID);
        exchange.getIn().setHeader(NsqConstants.TIMESTAMP, 1_700_000_123_999L);
        exchange.getIn().setHeader(NsqConstants.TOPIC, "orders");
        exchange.getIn().setHeader(NsqConstants.CHANNEL, "billing");
        exchange.getIn().setHeader(NsqConstants.ADDRESS, "127.0.0.1:4150");
        exchange.getIn().setHeader(NsqConstants.ATTEMPTS, 1);
    }

    private static DeliveryFailedException failure(Exchange exchange) {
        DeliveryFailedException failure = DeliveryFailedException.in(exchange.getException());
        assertNotNull(failure, "expected a delivery failure, got " + exchange.getException());
        return failure;
    }

    @Test
    void jsonEnvelopeAndHeadersExactlyAndTheExchangeKeepsItsBody() throws Exception {
        RawHttpServer server = server(r -> Answer.status(200));
        routes(Map.of(), "push:" + server.url("/hook") + "?topicOwner=100015036&tags=a,b");
        byte[] body = "quote \" ✓".getBytes(StandardCharsets.UTF_8);

        Exchange exchange = send(0, body);

        assertNull(exchange.getException());
        assertEquals(Boolean.TRUE, exchange.getProperty(PushConstants.DELIVERED));
        assertEquals(200, exchange.getMessage().getHeader(PushConstants.RESPONSE_CODE));
        assertArrayEquals(body, exchange.getMessage().getBody(byte[].class), "push: does not change the exchange");
        Request request = server.requests().get(0);
        assertEquals("POST", request.method());
        assertEquals("/hook", request.path());
        assertEquals("{\"TopicOwner\":100015036,\"topicName\":\"orders\",\"subscriptionName\":\"billing\",\"msgId\":\""
                + ID + "\",\"msgBody\":\"quote \\\" ✓\",\"publishTime\":1700000123}",
                new String(request.body(), StandardCharsets.UTF_8));
        assertEquals(ID, request.header("x-cmq-message-id"));
        assertEquals(DedupeKey.of("127.0.0.1:4150", "orders", ID), request.header("webhook-id"), "unsigned too");
        assertNull(request.header("webhook-signature"));
        assertNull(request.header("x-cmq-topic-name"), "JSON has it in the envelope: CMQ's headers only");
        assertEquals("a, b", request.header("x-cmq-message-tag"));
        assertEquals("text/plain", request.header("content-type"));
        assertTrue(request.header("user-agent").startsWith("nsq-push/"));
        assertTrue(request.header("x-cmq-request-id").matches("[0-9a-f]{32}"));
        assertTrue(request.headers().keySet().stream().noneMatch(h -> h.startsWith("camel")), request.headers()
                .toString());
    }

    @Test
    void simplifiedSendsTheBodyByteForByteAndEveryRequestHasItsOwnRequestId() throws Exception {
        RawHttpServer server = server(r -> Answer.status(200));
        routes(Map.of(), "push:" + server.url("/raw") + "?format=simplified&contentType=application/octet-stream");
        byte[] body = {0, (byte) 0xff, 'a', (byte) 0xc3, '\n'};

        send(0, body);
        send(0, body);

        assertArrayEquals(body, server.requests().get(0).body());
        assertEquals("application/octet-stream", server.requests().get(0).header("content-type"));
        assertNotEquals(server.requests().get(0).header("x-cmq-request-id"),
                server.requests().get(1).header("x-cmq-request-id"));
        assertEquals(ID, server.requests().get(1).header("x-cmq-message-id"));
        assertEquals("orders", server.requests().get(0).header("x-cmq-topic-name"));
        assertEquals(DedupeKey.of("127.0.0.1:4150", "orders", ID), server.requests().get(0).header("webhook-id"));
        assertEquals(server.requests().get(0).header("webhook-id"), server.requests().get(1).header("webhook-id"),
                "the message sent again: the same key");
    }

    @Test
    void aSignedRequestVerifiesWithTheSecretAndEachTryIsSignedAnew() throws Exception {
        byte[] key = "a signing key of 32 bytes, fine.".getBytes(StandardCharsets.UTF_8);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        RawHttpServer server = server(r -> Answer.status(200));
        routes(Map.of("signingSecret", secret), "push:" + server.url("/signed"));

        send(0, "{\"n\":1}".getBytes(StandardCharsets.UTF_8));

        Request request = server.requests().get(0);
        assertEquals(DedupeKey.of("127.0.0.1:4150", "orders", ID), request.header("webhook-id"), "the key is signed");
        String signed = request.header("webhook-id") + "." + request.header("webhook-timestamp") + "."
                + new String(request.body(), StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        assertEquals("v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8))),
                request.header("webhook-signature"));
        long age = System.currentTimeMillis() / 1000 - Long.parseLong(request.header("webhook-timestamp"));
        assertTrue(age >= 0 && age < 10, "timestamp is now: " + age);
    }

    @Test
    void roundRobinTakesTheUrlsInTurnAndAFailedRequestGoesToTheNextOne() throws Exception {
        RawHttpServer a = server(r -> Answer.status(200));
        AtomicInteger bRequests = new AtomicInteger();
        RawHttpServer b = server(r -> Answer.status(bRequests.incrementAndGet() == 1 ? 500 : 200));
        routes(Map.of(), "push:" + a.url("/a") + "," + b.url("/b") + "?mode=round-robin");

        for (int i = 0; i < 6; i++) {
            assertNull(send(0, new byte[] {'x'}).getException());
        }
        // six exchanges in turn: a b a b a b, the first at b answered 500 and was tried at a
        assertEquals(4, a.requests().size());
        assertEquals(3, b.requests().size());
    }

    @Test
    void hostpoolLeavesOutAUrlThatRefusesAndDeliversEverythingAtTheOther() throws Exception {
        RawHttpServer good = server(r -> Answer.status(200));
        RawHttpServer away = server(r -> Answer.status(200));
        String awayUrl = away.url("/away");
        away.close(); // nothing listens there now
        routes(Map.of(), "push:" + good.url("/good") + "," + awayUrl);

        for (int i = 0; i < 20; i++) {
            assertNull(send(0, new byte[] {'x'}).getException());
        }
        assertEquals(20, good.requests().size());
    }

    @Test
    void theDeadlineCutsASlowAnswerAndTheEndpointCountsAsUnavailable() throws Exception {
        RawHttpServer server = server(r -> Answer.status(200).after(3_000));
        routes(Map.of(), "push:" + server.url("/slow") + "?timeout=300ms");

        long start = System.nanoTime();
        Exchange exchange = send(0, new byte[] {'x'});
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        DeliveryFailedException failure = failure(exchange);
        assertEquals(DeliveryFailedException.Kind.UNAVAILABLE, failure.kind());
        assertEquals("no complete answer within 300ms", failure.getMessage());
        assertTrue(tookMs >= 290 && tookMs < 2_000, "cut at the deadline, took " + tookMs + " ms");
    }

    @Test
    void theStatusPolicyTellsDeliveredRejectedPermanentAndAwayApart() throws Exception {
        RawHttpServer server = server(r -> switch (r.path()) {
            case "/409" -> Answer.status(409);
            case "/400" -> Answer.status(400);
            case "/500" -> Answer.status(500);
            case "/503" -> Answer.headers(503, "Retry-After: 7\r\n");
            default -> Answer.status(404);
        });
        String options = "?successOn=409&deadLetterOn=400,410";
        routes(Map.of(), "push:" + server.url("/409") + options, "push:" + server.url("/400") + options,
                "push:" + server.url("/500") + options, "push:" + server.url("/503") + options);

        assertNull(send(0, new byte[] {'x'}).getException(), "409 is success-on");
        assertEquals(DeliveryFailedException.Kind.PERMANENT, failure(send(1, new byte[] {'x'})).kind());
        DeliveryFailedException rejected = failure(send(2, new byte[] {'x'}));
        assertEquals(DeliveryFailedException.Kind.REJECTED, rejected.kind());
        assertEquals("HTTP 500 Internal Server Error", rejected.getMessage());
        DeliveryFailedException away = failure(send(3, new byte[] {'x'}));
        assertEquals(DeliveryFailedException.Kind.UNAVAILABLE, away.kind());
        assertEquals(7_000, away.retryAfterMillis());
        assertEquals(503, away.status());
    }

    @Test
    void aRequestOnAKeptAliveConnectionThatTheServerClosedIsSentAgainOnANewOne() throws Exception {
        // the server keeps each connection open after its first answer, and drops the next request sent on it
        // unanswered, as a server closing an idle connection just as the request arrives does
        RawHttpServer server = server(r -> r.indexOnConnection() == 0 ? Answer.status(200) : Answer.dropped());
        routes(Map.of(), "push:" + server.url("/keep") + "?format=SIMPLIFIED");

        assertNull(send(0, "one".getBytes(StandardCharsets.UTF_8)).getException());
        Exchange second = send(0, "two".getBytes(StandardCharsets.UTF_8));

        assertNull(second.getException(), "sent again on a new connection");
        List<Request> requests = server.requests();
        assertEquals(3, requests.size(), requests.toString());
        assertEquals(requests.get(0).connection(), requests.get(1).connection(),
                "the second request first went out on the kept-alive connection");
        assertEquals(1, requests.get(1).indexOnConnection());
        assertEquals(0, requests.get(2).indexOnConnection(), "then on a new connection");
        assertEquals("two", new String(requests.get(2).body(), StandardCharsets.UTF_8));
    }

    @Test
    void aRequestDroppedOnANewConnectionIsAFailureNotSentAgain() throws Exception {
        RawHttpServer server = server(r -> Answer.dropped());
        routes(Map.of(), "push:" + server.url("/drop"));

        DeliveryFailedException failure = failure(send(0, new byte[] {'x'}));

        assertEquals(DeliveryFailedException.Kind.UNAVAILABLE, failure.kind());
        assertEquals(1, server.requests().size(), "a fresh connection's request may have reached the endpoint");
    }

    @Test
    void manyEndpointsOfOneHostShareItsConnectionsUpToTheCap() throws Exception {
        RawHttpServer server = server(r -> Answer.status(200).after(20));
        String[] uris = new String[50];
        for (int i = 0; i < uris.length; i++) {
            uris[i] = "push:" + server.url("/sub" + i);
        }
        routes(Map.of("maxConnectionsPerHost", "4"), uris);

        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < uris.length; i++) {
                int route = i;
                sent.add(template.asyncSend("direct:in" + route, exchange -> nsq(exchange, new byte[] {'x'})));
            }
        }
        for (CompletableFuture<Exchange> each : sent) {
            assertNull(each.get(60, TimeUnit.SECONDS).getException());
        }
        assertEquals(200, server.requests().size());
        assertTrue(server.maxOpenConnections() <= 4, "at most the cap at once: " + server.maxOpenConnections());
        assertTrue(server.connections() <= 4, "kept alive and shared, not reopened: " + server.connections());
    }

    @Test
    void anAnswerThatIsNotHttpFailsAtOnceAsUnavailable() throws Exception {
        RawHttpServer server = server(r -> Answer.raw("SSH-2.0-OpenSSH_9.2p1\r\n".getBytes(StandardCharsets.US_ASCII)));
        routes(Map.of(), "push:" + server.url("/ssh") + "?timeout=10s");

        long start = System.nanoTime();
        DeliveryFailedException failure = failure(send(0, new byte[] {'x'}));

        assertEquals(DeliveryFailedException.Kind.UNAVAILABLE, failure.kind());
        assertEquals(-1, failure.status());
        assertEquals("the endpoint answered something that is not HTTP", failure.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "not at the deadline");
    }

    @Test
    void largeAnswerHeadersAreReadUpToTheLimitAndBeyondItFailAtOnce() throws Exception {
        String twentyKb = "X-Big: " + "a".repeat(20 * 1024) + "\r\n";
        String hundredKb = "X-Huge: " + "a".repeat(100 * 1024) + "\r\n";
        RawHttpServer server = server(r -> Answer.headers(200, r.path().equals("/20k") ? twentyKb : hundredKb));
        routes(Map.of(), "push:" + server.url("/20k"), "push:" + server.url("/100k") + "?timeout=10s");

        assertNull(send(0, new byte[] {'x'}).getException(), "20 KB of headers is an answer like any other");
        long start = System.nanoTime();
        DeliveryFailedException failure = failure(send(1, new byte[] {'x'}));
        assertTrue(failure.getMessage().startsWith("the answer's status line or headers are too long"),
                failure.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "not at the deadline");
    }
}
