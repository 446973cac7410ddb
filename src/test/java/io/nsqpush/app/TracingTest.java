package io.nsqpush.app;

import io.nsqpush.component.NsqEndpoint;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.FakeLookupd;
import io.nsqpush.testsupport.TestEndpoint;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.EndpointServiceLocation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * camel.opentelemetry2.enabled: spans in the SDK's in-memory exporter (kinds, names and attributes as OpenTelemetry's
 * messaging and HTTP conventions say, no secret of the lookupd or endpoint URL in them), traceparent at the endpoint.
 */
class TracingTest {

    /** Secrets in the lookupd URL's user-info (a token alone, which Camel's sanitizer keeps) and the endpoint URL's. */
    private static final List<String> SECRETS = List.of("l00kupT0ken", "pushS3cret", "s3cr3t", "s1gn3d");

    private final TestNsqd nsqd = TestNsqd.start();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    private FakeLookupd lookupd;
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, lookupd, nsqd);
        otel.close();
    }

    /** The bridge finds the nsqd through a lookupd whose URL carries a token, and pushes to a URL with secrets. */
    private void bridge(Map<String, String> settings) throws Exception {
        lookupd = FakeLookupd.start().list(nsqd.address());
        endpoint = TestEndpoint.start();
        Map<String, String> all = new HashMap<>(Map.of("nsq.nsqd-tcp-addresses", "",
                "nsq.lookupd-http-addresses", "http://l00kupT0ken@" + lookupd.address(),
                "push.url", pushUrl(), "push.redeliveries", "1", "push.redelivery-delay", "20ms",
                "routes.reload-enabled", "false"));
        all.putAll(settings);
        bridge = Bridge.withBeans(Map.of("openTelemetry", otel), all);
    }

    private String pushUrl() {
        return endpoint.url("/push?token=s3cr3t&sig=s1gn3d").replace("http://", "http://hook:pushS3cret@");
    }

    private String maskedPushUrl() {
        return endpoint.url("/push?token=xxxxxx&sig=xxxxxx").replace("http://", "http://xxxxxx@");
    }

    /** @return the spans once the message's root span has ended, none of them holding a secret */
    private List<SpanData> finishedTrace() {
        await().atMost(Duration.ofSeconds(5)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> !s.getParentSpanContext().isValid()));
        List<SpanData> finished = spans.getFinishedSpanItems();
        for (SpanData span : finished) {
            assertNoSecret(span.getName(), span.getAttributes().toString() + span.getEvents());
        }
        return finished;
    }

    private static void assertNoSecret(Object where, String text) {
        for (String secret : SECRETS) {
            assertFalse(text.contains(secret), secret + " in " + where + ": " + text);
        }
    }

    private static SpanData byId(List<SpanData> spans, String id) {
        return spans.stream().filter(s -> s.getSpanId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + id + " in " + spans));
    }

    @Test
    void aConsumerSpanPerMessageAndAClientSpanPerRequestWhoseIdTheRequestCarries() throws Exception {
        bridge(Map.of("camel.opentelemetry2.enabled", "true"));
        endpoint.answer(n -> n == 0 ? 500 : 200);
        String id = nsqd.publish("orders", "traced");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        List<SpanData> finished = finishedTrace();
        List<SpanData> roots = finished.stream().filter(s -> !s.getParentSpanContext().isValid()).toList();
        assertEquals(1, roots.size(), finished.toString());
        SpanData consumer = roots.get(0);
        assertEquals(SpanKind.CONSUMER, consumer.getKind());
        assertEquals("process orders", consumer.getName());
        assertEquals("nsq", consumer.getAttributes().get(stringKey("messaging.system")));
        assertEquals("orders", consumer.getAttributes().get(stringKey("messaging.destination.name")));
        assertEquals(id, consumer.getAttributes().get(stringKey("messaging.message.id")));
        assertEquals("nsq-push", consumer.getAttributes().get(stringKey("messaging.consumer.group.name")));
        assertEquals(1L, consumer.getAttributes().get(longKey("messaging.nsq.message.attempts")));
        assertEquals(6L, consumer.getAttributes().get(longKey("messaging.message.body.size")));
        assertEquals("127.0.0.1", consumer.getAttributes().get(stringKey("server.address")));
        assertEquals((long) nsqd.port(), consumer.getAttributes().get(longKey("server.port")));

        List<TestEndpoint.Request> requests = endpoint.requests();
        assertEquals(2, requests.size());
        List<Long> statuses = new java.util.ArrayList<>();
        for (TestEndpoint.Request request : requests) {
            String traceparent = request.header("traceparent");
            assertTrue(traceparent != null && traceparent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"),
                    String.valueOf(traceparent));
            String[] parts = traceparent.split("-");
            assertEquals(consumer.getTraceId(), parts[1], "the request is in the consumer's trace");
            SpanData client = byId(finished, parts[2]);
            assertEquals(SpanKind.CLIENT, client.getKind(), "traceparent names the request's own span");
            assertEquals("POST", client.getName());
            assertEquals("POST", client.getAttributes().get(stringKey("http.request.method")));
            assertEquals(maskedPushUrl(), client.getAttributes().get(AttributeKey.stringKey("url.full")));
            assertEquals("127.0.0.1", client.getAttributes().get(stringKey("server.address")));
            assertEquals((long) endpoint.port(), client.getAttributes().get(longKey("server.port")));
            statuses.add(client.getAttributes().get(longKey("http.response.status_code")));
            // its ancestors lead to the consumer's span
            SpanData at = client;
            while (at.getParentSpanContext().isValid()) {
                at = byId(finished, at.getParentSpanId());
            }
            assertEquals(consumer.getSpanId(), at.getSpanId());
        }
        assertEquals(List.of(500L, 200L), statuses);
        assertNotEquals(requests.get(0).header("traceparent"), requests.get(1).header("traceparent"),
                "each request has its own span");
        assertEquals(2, finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).count());
        assertEquals(1, finished.stream().filter(s -> s.getKind() == SpanKind.CONSUMER).count());

        // the endpoints' service URLs (span attributes, Camel's service registry) hold no secret either
        for (Endpoint camel : bridge.context().getEndpoints()) {
            if (camel instanceof EndpointServiceLocation location && location.getServiceUrl() != null) {
                assertNoSecret(camel.getEndpointBaseUri(), location.getServiceUrl());
            }
            if (camel instanceof NsqEndpoint nsq) {
                assertEquals("http://xxxxxx@" + lookupd.address(), nsq.getServiceUrl());
            }
        }
        assertNoSecret("the service registry", bridge.context().getCamelContextExtension()
                .getEndpointServiceRegistry().listAllEndpointServices().toString());
    }

    @Test
    void aDeadLetterIsAProducerSpanInTheMessagesTrace() throws Exception {
        bridge(Map.of("camel.opentelemetry2.enabled", "true", "nsq.max-attempts", "1", "push.redeliveries", "0"));
        endpoint.answer(n -> 500);
        nsqd.publish("orders", "rejected");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        List<SpanData> finished = finishedTrace();
        SpanData consumer = finished.stream().filter(s -> s.getKind() == SpanKind.CONSUMER).findFirst().orElseThrow();
        SpanData client = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
        assertEquals(500L, client.getAttributes().get(longKey("http.response.status_code")));
        assertEquals("500", client.getAttributes().get(stringKey("error.type")));
        List<SpanData> producers = finished.stream().filter(s -> s.getKind() == SpanKind.PRODUCER).toList();
        assertEquals(1, producers.size(), finished.toString());
        SpanData producer = producers.get(0);
        assertEquals("send orders.dead-letter", producer.getName());
        assertEquals("orders.dead-letter", producer.getAttributes().get(stringKey("messaging.destination.name")));
        assertEquals(consumer.getTraceId(), producer.getTraceId());
    }

    @Test
    void offByDefault() throws Exception {
        bridge(Map.of());
        nsqd.publish("orders", "untraced");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        assertNull(endpoint.requests().get(0).header("traceparent"));
        assertTrue(spans.getFinishedSpanItems().isEmpty());
    }
}
