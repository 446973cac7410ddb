package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** camel.opentelemetry2.enabled: spans in the SDK's in-memory exporter, traceparent at the endpoint. */
class TracingTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd);
        otel.close();
    }

    private void bridge(Map<String, String> settings) throws Exception {
        endpoint = TestEndpoint.start();
        Map<String, String> all = new HashMap<>(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(),
                "push.url", endpoint.url("/push?token=s3cr3t"), "push.redeliveries", "1", "push.redelivery-delay", "20ms",
                "routes.reload-enabled", "false"));
        all.putAll(settings);
        bridge = Bridge.withBeans(Map.of("openTelemetry", otel), all);
    }

    @Test
    void eachRequestCarriesTheTraceparentOfItsSpanUnderTheConsumersSpan() throws Exception {
        bridge(Map.of("camel.opentelemetry2.enabled", "true"));
        endpoint.answer(n -> n == 0 ? 500 : 200);
        nsqd.publish("orders", "traced");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getParentSpanContext().isValid() == false));

        List<SpanData> finished = spans.getFinishedSpanItems();
        finished.forEach(s -> System.out.println(s.getKind() + " " + s.getName() + " " + s.getSpanId() + " parent "
                + s.getParentSpanId() + " " + s.getAttributes()));
        List<SpanData> roots = finished.stream().filter(s -> !s.getParentSpanContext().isValid()).toList();
        assertEquals(1, roots.size(), finished.toString());
        SpanData consumer = roots.get(0);
        assertTrue(consumer.getName().contains("nsq") || consumer.getName().contains("orders"), consumer.getName());
        assertEquals(2, endpoint.requests().size());
        assertTrue(finished.stream().noneMatch(s -> s.getAttributes().toString().contains("s3cr3t")),
                "span attributes hold the URL masked");
        for (TestEndpoint.Request request : endpoint.requests()) {
            String traceparent = request.header("traceparent");
            assertTrue(traceparent != null && traceparent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"),
                    String.valueOf(traceparent));
            String[] parts = traceparent.split("-");
            assertEquals(consumer.getTraceId(), parts[1], "the request is in the consumer's trace");
            SpanData span = finished.stream().filter(s -> s.getSpanId().equals(parts[2])).findFirst().orElseThrow(
                    () -> new AssertionError("no span " + parts[2] + " in " + finished));
            assertTrue(span.getName().contains("push"), span.getName());
            // its ancestors lead to the consumer's span
            SpanData at = span;
            while (at.getParentSpanContext().isValid()) {
                String parent = at.getParentSpanId();
                at = finished.stream().filter(s -> s.getSpanId().equals(parent)).findFirst().orElseThrow();
            }
            assertEquals(consumer.getSpanId(), at.getSpanId());
        }
        assertTrue(!endpoint.requests().get(0).header("traceparent").equals(
                endpoint.requests().get(1).header("traceparent")), "each request has its own span");
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
