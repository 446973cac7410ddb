package io.nsqpush.app;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.apache.camel.telemetry.Op;
import org.apache.camel.telemetry.SpanDecorator;
import org.apache.camel.telemetry.SpanDecoratorManagerImpl;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Span kinds and typed attributes for camel-opentelemetry2, which (Camel 4.18) starts every span INTERNAL, with no
 * hook for a kind, and whose decorators can set string attributes only. This tracer service notes, around each event
 * span Camel begins, the kind that the endpoint's {@link Kinded} decorator gives for the event (nsq: receiving
 * CONSUMER, a push: request CLIENT, a publish to nsq: PRODUCER); the OpenTelemetry tracer Camel is given
 * ({@link #tracer}) starts the span with it, Camel's span creation running on the same thread inside that call.
 * Processor spans and the spans of other components stay INTERNAL.
 */
final class SpanKinds extends OpenTelemetryTracer {

    /** A decorator that knows the OpenTelemetry kind of its component's spans. */
    interface Kinded {
        SpanKind kind(Op op);
    }

    /** The attributes OpenTelemetry's conventions type as integers; Camel's spans take strings only. */
    private static final Set<String> LONG_ATTRIBUTES = Set.of("http.response.status_code", "server.port",
            "messaging.message.body.size", "messaging.nsq.message.attempts");

    private static final java.util.regex.Pattern INTEGER = java.util.regex.Pattern.compile("-?\\d{1,18}");

    private record Beginning(Op op, SpanKind kind) {
    }

    private static final ThreadLocal<Beginning> BEGINNING = new ThreadLocal<>();
    private final SpanDecoratorManagerImpl decorators = new SpanDecoratorManagerImpl();

    @Override
    protected void beginEventSpan(Exchange exchange, Endpoint endpoint, Op op) throws Exception {
        SpanDecorator decorator = decorators.get(endpoint);
        BEGINNING.set(new Beginning(op, decorator instanceof Kinded kinded ? kinded.kind(op) : SpanKind.INTERNAL));
        try {
            super.beginEventSpan(exchange, endpoint, op);
        } finally {
            BEGINNING.remove();
        }
    }

    /** @return the event whose span Camel is beginning on this thread (for the decorators' span names), or null */
    static Op beginning() {
        Beginning at = BEGINNING.get();
        return at == null ? null : at.op();
    }

    /** @return the tracer for camel-opentelemetry2: the given one, starting spans with the kind noted above */
    static Tracer tracer(Tracer tracer) {
        return name -> {
            Beginning at = BEGINNING.get();
            return new TypedSpanBuilder(tracer.spanBuilder(name)
                    .setSpanKind(at == null ? SpanKind.INTERNAL : at.kind()));
        };
    }

    private static <T> boolean integral(AttributeKey<T> key, T value) {
        return key.getType() == AttributeType.STRING && LONG_ATTRIBUTES.contains(key.getKey())
                && value instanceof String text && INTEGER.matcher(text).matches();
    }

    /** Marks a failed exchange's span, with the failure masked (Camel's own puts the message in as it is). */
    static void markFailure(org.apache.camel.telemetry.Span span, Exchange exchange) {
        if (exchange.isFailed()) {
            span.setError(true);
            if (exchange.getException() != null) {
                span.log(java.util.Map.of("event", "error", "error.kind", "Exception",
                        "message", io.nsqpush.push.Redaction.failure(exchange.getException())));
            }
        }
    }

    /** Starts {@link TypedSpan}s; the rest as the SDK's. */
    private record TypedSpanBuilder(SpanBuilder builder) implements SpanBuilder {
        @Override
        public SpanBuilder setParent(Context context) {
            builder.setParent(context);
            return this;
        }

        @Override
        public SpanBuilder setNoParent() {
            builder.setNoParent();
            return this;
        }

        @Override
        public SpanBuilder addLink(SpanContext spanContext) {
            builder.addLink(spanContext);
            return this;
        }

        @Override
        public SpanBuilder addLink(SpanContext spanContext, Attributes attributes) {
            builder.addLink(spanContext, attributes);
            return this;
        }

        @Override
        public SpanBuilder setAttribute(String key, String value) {
            return setAttribute(AttributeKey.stringKey(key), value);
        }

        @Override
        public SpanBuilder setAttribute(String key, long value) {
            builder.setAttribute(key, value);
            return this;
        }

        @Override
        public SpanBuilder setAttribute(String key, double value) {
            builder.setAttribute(key, value);
            return this;
        }

        @Override
        public SpanBuilder setAttribute(String key, boolean value) {
            builder.setAttribute(key, value);
            return this;
        }

        @Override
        public <T> SpanBuilder setAttribute(AttributeKey<T> key, T value) {
            if (integral(key, value)) {
                builder.setAttribute(key.getKey(), Long.parseLong((String) value));
            } else {
                builder.setAttribute(key, value);
            }
            return this;
        }

        @Override
        public SpanBuilder setSpanKind(SpanKind spanKind) {
            builder.setSpanKind(spanKind);
            return this;
        }

        @Override
        public SpanBuilder setStartTimestamp(long startTimestamp, TimeUnit unit) {
            builder.setStartTimestamp(startTimestamp, unit);
            return this;
        }

        @Override
        public Span startSpan() {
            return new TypedSpan(builder.startSpan());
        }
    }

    /** The SDK's span, with the string values of {@link #LONG_ATTRIBUTES} set as the integers they are. */
    private record TypedSpan(Span span) implements Span {
        @Override
        public <T> Span setAttribute(AttributeKey<T> key, T value) {
            if (integral(key, value)) {
                span.setAttribute(key.getKey(), Long.parseLong((String) value));
            } else {
                span.setAttribute(key, value);
            }
            return this;
        }

        @Override
        public Span addEvent(String name, Attributes attributes) {
            span.addEvent(name, attributes);
            return this;
        }

        @Override
        public Span addEvent(String name, Attributes attributes, long timestamp, TimeUnit unit) {
            span.addEvent(name, attributes, timestamp, unit);
            return this;
        }

        @Override
        public Span setStatus(StatusCode statusCode, String description) {
            span.setStatus(statusCode, description);
            return this;
        }

        @Override
        public Span recordException(Throwable exception, Attributes additionalAttributes) {
            span.recordException(exception, additionalAttributes);
            return this;
        }

        @Override
        public Span updateName(String name) {
            span.updateName(name);
            return this;
        }

        @Override
        public void end() {
            span.end();
        }

        @Override
        public void end(long timestamp, TimeUnit unit) {
            span.end(timestamp, unit);
        }

        @Override
        public SpanContext getSpanContext() {
            return span.getSpanContext();
        }

        @Override
        public boolean isRecording() {
            return span.isRecording();
        }
    }
}
