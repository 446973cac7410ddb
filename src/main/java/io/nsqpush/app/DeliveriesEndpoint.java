package io.nsqpush.app;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.nsqpush.component.NsqConsumer;
import io.nsqpush.push.DeliveryLog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;
import org.apache.camel.support.service.ServiceSupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The delivery log on the management port: {@code GET /observe/deliveries?id=<x-cmq-message-id or webhook-id>}
 * answers what the {@link DeliveryLog} holds of that message as JSON (404 with a JSON body when it holds nothing).
 * Also the route policy of every route that consumes {@code nsq:}, which records how each attempt ended; the requests
 * themselves reach the log as a {@link io.nsqpush.push.DeliveryListener} of {@code push:}.
 */
final class DeliveriesEndpoint extends ServiceSupport implements RoutePolicyFactory {

    static final String PATH = "/observe/deliveries";
    private static final JsonFactory JSON = new JsonFactory();

    private final CamelContext context;
    private final DeliveryLog log;

    DeliveriesEndpoint(CamelContext context, DeliveryLog log) {
        this.context = context;
        this.log = log;
    }

    /**
     * The management server makes its router when it starts; this service is added after it (in afterConfigure), so
     * it finds the router started, as Camel's Prometheus scraper does.
     */
    @Override
    protected void doStart() {
        ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
        if (server == null || server.getRouter() == null) {
            return; // camel.management.enabled=false: the log still feeds dead-letter records
        }
        server.getRouter().route(PATH).method(HttpMethod.GET).handler(this::answer);
    }

    private void answer(RoutingContext request) {
        String id = request.queryParams().get("id");
        byte[] body;
        int status;
        if (id == null || id.isBlank()) {
            status = 400;
            body = error(null, "give a message's id: ?id=<x-cmq-message-id or webhook-id>");
        } else {
            List<DeliveryLog.Entry> entries = log.find(id.trim());
            if (entries.isEmpty()) {
                status = 404;
                body = error(id, "nothing of this id among the " + log.size() + " latest entries kept"
                        + " (status.deliveries-kept=" + log.maxEntries() + ")");
            } else {
                status = 200;
                body = json(json -> DeliveryLog.write(json, id.trim(), entries));
            }
        }
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
                .end(Buffer.buffer(body));
    }

    private static byte[] error(String id, String message) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("id", id);
            json.writeStringField("error", message);
            json.writeEndObject();
        });
    }

    private interface Writer {
        void write(JsonGenerator json) throws IOException;
    }

    private static byte[] json(Writer writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.useDefaultPrettyPrinter();
            writer.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return new RoutePolicySupport() {
            @Override
            public void onExchangeDone(Route route, Exchange exchange) {
                if (route.getConsumer() instanceof NsqConsumer) {
                    log.finished(exchange);
                }
            }
        };
    }
}
