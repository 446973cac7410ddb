package io.nsqpush.app;

import io.nsqpush.config.InvalidValueException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.CamelTracingService;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.service.ServiceSupport;

import java.util.Map;

/**
 * Traces, with Camel's camel-opentelemetry2 ({@code camel.opentelemetry2.enabled=true}; off by default): a CONSUMER
 * span per message from the nsq: consumer, a CLIENT child span per push: request (kinds: {@link SpanKinds}; names and
 * attributes: {@link NsqSpanDecorator}, {@link PushSpanDecorator}), and the W3C {@code traceparent} of that child in
 * the request's headers (Camel injects it into the exchange's headers; push: sends those that are not Camel's). The
 * OpenTelemetry SDK is set up from the standard {@code OTEL_*} environment variables (or {@code -Dotel.*}) by its
 * autoconfiguration, which finds exporters through ./lib too: the OTLP exporter is a lib/ extension, not in the jar.
 * Only traces are exported unless OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER say otherwise (metrics have
 * /observe/metrics). An {@link OpenTelemetry} bean already in the registry (a test's) is used as it is.
 */
final class Tracing {

    static final String ENABLED = "camel.opentelemetry2.enabled";
    /** The scope camel-opentelemetry2 names its own tracer with. */
    static final String INSTRUMENTATION = "camel";

    private Tracing() {
    }

    /** Binds the tracer and propagators camel-opentelemetry2 looks up, when tracing is on. */
    static void configure(CamelContext context, PropertiesComponent properties, ClassLoader lib) {
        if (!Boolean.parseBoolean(properties.resolveProperty(ENABLED).orElse("false").trim())) {
            return;
        }
        OpenTelemetry otel = context.getRegistry().findSingleByType(OpenTelemetry.class);
        if (otel == null) {
            OpenTelemetrySdk sdk = autoconfigured(lib);
            otel = sdk;
            try {
                context.addService(new Closing(sdk));
            } catch (Exception e) {
                sdk.close();
                throw new IllegalStateException("cannot start OpenTelemetry", e);
            }
        }
        context.getRegistry().bind("openTelemetryTracer", Tracer.class,
                SpanKinds.tracer(otel.getTracer(INSTRUMENTATION)));
        context.getRegistry().bind("openTelemetryPropagators", ContextPropagators.class, otel.getPropagators());
        // camel-main takes the tracing service from the registry (and sets camel.opentelemetry2.* on it)
        context.getRegistry().bind("nsqPushTracing", CamelTracingService.class, new SpanKinds());
    }

    private static OpenTelemetrySdk autoconfigured(ClassLoader lib) {
        try {
            return AutoConfiguredOpenTelemetrySdk.builder()
                    .setServiceClassLoader(lib)
                    // defaults below OTEL_* and -Dotel.*, which win
                    .addPropertiesSupplier(() -> Map.of("otel.service.name", "nsq-push",
                            "otel.metrics.exporter", "none", "otel.logs.exporter", "none"))
                    .build().getOpenTelemetrySdk();
        } catch (ConfigurationException e) {
            throw new InvalidValueException(ENABLED, "true", "cannot set up OpenTelemetry from OTEL_* ("
                    + e.getMessage() + ")", "OTEL_TRACES_EXPORTER=otlp (or logging) with the exporter's jars in lib/"
                    + " (README, Operations), or none (traceparent only)");
        }
    }

    /** Flushes the spans still buffered when the bridge stops. */
    private static final class Closing extends ServiceSupport {
        private final OpenTelemetrySdk sdk;

        Closing(OpenTelemetrySdk sdk) {
            this.sdk = sdk;
        }

        @Override
        protected void doStop() {
            sdk.close();
        }
    }
}
