package io.nsqpush.app;

import io.nsqpush.push.DeliveryFailedException;
import io.nsqpush.push.PushComponent;
import io.nsqpush.push.PushConstants;
import io.nsqpush.push.PushEndpoint;
import io.nsqpush.push.Redaction;
import io.opentelemetry.api.trace.SpanKind;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.telemetry.Op;
import org.apache.camel.telemetry.Span;
import org.apache.camel.telemetry.TagConstants;
import org.apache.camel.telemetry.decorators.AbstractSpanDecorator;

import java.net.URI;
import java.util.Locale;

/**
 * The span of a push: request as OpenTelemetry's HTTP client conventions name it: CLIENT, named by the method, with
 * http.request.method, url.full (masked: Redaction), server.address/port and http.response.status_code. Camel's own
 * attributes are not taken over: they hold the endpoint URI unmasked (url.path keeps a user-info token). Found through
 * META-INF/services (camel-telemetry's decorators per scheme).
 */
public final class PushSpanDecorator extends AbstractSpanDecorator implements SpanKinds.Kinded {

    @Override
    public String getComponent() {
        return "push";
    }

    @Override
    public String getComponentClassName() {
        return PushComponent.class.getName();
    }

    @Override
    public SpanKind kind(Op op) {
        return op == Op.EVENT_SENT ? SpanKind.CLIENT : SpanKind.INTERNAL;
    }

    @Override
    public String getOperationName(Exchange exchange, Endpoint endpoint) {
        return method(endpoint);
    }

    @Override
    public void beforeTracingEvent(Span span, Exchange exchange, Endpoint endpoint) {
        span.setComponent("camel-push");
        span.setTag(TagConstants.EXCHANGE_ID, exchange.getExchangeId());
        span.setTag("camel.uri", Redaction.uri(endpoint.getEndpointUri()));
        span.setTag("http.request.method", method(endpoint));
        String url = endpoint instanceof PushEndpoint push ? push.getConfiguration().getUrl() : null;
        if (url != null && !url.contains(",")) {
            url(span, Redaction.uri(url)); // several URLs: the one the request went to is known when it ends
        }
    }

    @Override
    public void afterTracingEvent(Span span, Exchange exchange) {
        String target = exchange.getProperty(PushConstants.ENDPOINT, String.class); // masked by push: already
        if (target != null) {
            url(span, target);
        }
        DeliveryFailedException failed = DeliveryFailedException.in(exchange.getException());
        // the header of an earlier request stays on the exchange when this one got no answer
        Integer status = failed != null ? (failed.status() > 0 ? Integer.valueOf(failed.status()) : null)
                : exchange.getMessage().getHeader(PushConstants.RESPONSE_CODE, Integer.class);
        if (status != null) {
            span.setTag("http.response.status_code", status.toString());
        }
        if (exchange.isFailed()) {
            span.setTag("error.type", status != null ? status.toString()
                    : exchange.getException() != null ? exchange.getException().getClass().getName() : "_OTHER");
        }
        SpanKinds.markFailure(span, exchange);
    }

    /** @param masked the request's URL, secrets masked */
    private static void url(Span span, String masked) {
        span.setTag("url.full", masked);
        try {
            URI uri = URI.create(masked);
            if (uri.getHost() != null) {
                span.setTag(TagConstants.SERVER_ADDRESS, uri.getHost());
                int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
                span.setTag("server.port", Integer.toString(port));
            }
        } catch (IllegalArgumentException notAUri) {
            // url.full says it all
        }
    }

    private static String method(Endpoint endpoint) {
        String method = endpoint instanceof PushEndpoint push ? push.getConfiguration().getMethod() : null;
        return method == null ? "POST" : method.toUpperCase(Locale.ROOT);
    }
}
