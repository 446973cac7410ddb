package io.nsqpush.app;

import io.nsqpush.component.NsqComponent;
import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqEndpoint;
import io.nsqpush.component.UriMasking;
import io.nsqpush.nsq.NsqAddress;
import io.opentelemetry.api.trace.SpanKind;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.telemetry.Op;
import org.apache.camel.telemetry.Span;
import org.apache.camel.telemetry.TagConstants;
import org.apache.camel.telemetry.decorators.AbstractSpanDecorator;

/**
 * The spans of nsq: as OpenTelemetry's messaging conventions name them: the consumer's CONSUMER span
 * {@code process <topic>} per message (message id, channel, attempts, the nsqd it came from), a PRODUCER span
 * {@code send <topic>} per publish (a dead letter). Camel's own attributes are not taken over: they hold the endpoint
 * URI and its query (lookupd URLs with their credentials); camel.uri is kept, masked. Found through
 * META-INF/services (camel-telemetry's decorators per scheme); the component layer knows nothing of it.
 */
public final class NsqSpanDecorator extends AbstractSpanDecorator implements SpanKinds.Kinded {

    @Override
    public String getComponent() {
        return "nsq";
    }

    @Override
    public String getComponentClassName() {
        return NsqComponent.class.getName();
    }

    @Override
    public SpanKind kind(Op op) {
        return op == Op.EVENT_RECEIVED ? SpanKind.CONSUMER : SpanKind.PRODUCER;
    }

    private static boolean receiving() {
        return SpanKinds.beginning() != Op.EVENT_SENT;
    }

    @Override
    public String getOperationName(Exchange exchange, Endpoint endpoint) {
        return (receiving() ? "process " : "send ") + topic(endpoint);
    }

    @Override
    public void beforeTracingEvent(Span span, Exchange exchange, Endpoint endpoint) {
        boolean receiving = receiving();
        span.setComponent("camel-nsq");
        span.setTag(TagConstants.EXCHANGE_ID, exchange.getExchangeId());
        span.setTag("camel.uri", UriMasking.uri(endpoint.getEndpointUri()));
        span.setTag("messaging.system", "nsq");
        span.setTag("messaging.operation.type", receiving ? "process" : "send");
        span.setTag("messaging.operation.name", receiving ? "process" : "send");
        span.setTag(TagConstants.MESSAGE_BUS_DESTINATION, topic(endpoint));
        if (!receiving) {
            String servers = endpoint instanceof NsqEndpoint nsq ? nsq.getServiceUrl() : null; // masked
            if (servers != null) {
                span.setTag(TagConstants.SERVER_ADDRESS, servers);
            }
            return;
        }
        org.apache.camel.Message in = exchange.getIn();
        tag(span, TagConstants.MESSAGE_ID, in.getHeader(NsqConstants.MESSAGE_ID, String.class));
        tag(span, "messaging.consumer.group.name", in.getHeader(NsqConstants.CHANNEL, String.class));
        tag(span, "messaging.nsq.message.attempts", in.getHeader(NsqConstants.ATTEMPTS, String.class));
        if (in.getBody() instanceof byte[] body) {
            span.setTag("messaging.message.body.size", Integer.toString(body.length));
        }
        String source = in.getHeader(NsqConstants.ADDRESS, String.class);
        if (source != null) {
            try {
                NsqAddress nsqd = NsqAddress.parse(source);
                span.setTag(TagConstants.SERVER_ADDRESS, nsqd.host());
                span.setTag("server.port", Integer.toString(nsqd.port()));
            } catch (RuntimeException notHostPort) {
                span.setTag(TagConstants.SERVER_ADDRESS, UriMasking.uri(source));
            }
        }
    }

    @Override
    public void afterTracingEvent(Span span, Exchange exchange) {
        SpanKinds.markFailure(span, exchange);
    }

    private static void tag(Span span, String key, String value) {
        if (value != null) {
            span.setTag(key, value);
        }
    }

    private static String topic(Endpoint endpoint) {
        return endpoint instanceof NsqEndpoint nsq ? nsq.getConfiguration().getTopic()
                : stripSchemeAndOptions(endpoint);
    }
}
