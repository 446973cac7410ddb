package io.nsqpush.library;

import com.sun.net.httpserver.HttpServer;
import io.nsqpush.testnsqd.TestNsqd;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;

/**
 * What a Camel application that depends on the library jar does: a bare {@link DefaultCamelContext} (no camel-main,
 * no YAML, none of the bridge's start-up), one Java route {@code nsq:} → {@code push:}. {@link ComponentsJarIT} loads
 * this class in a class loader that holds the library jar and no application classes.
 */
public final class LibraryRoute {

    private LibraryRoute() {
    }

    /** @return what the endpoint received, one line per request, then where the push: component was loaded from */
    public static String run() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/in", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(body + " id=" + exchange.getRequestHeaders().getFirst("x-cmq-message-id"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        endpoint.start();
        try (TestNsqd nsqd = TestNsqd.start()) {
            CamelContext context = new DefaultCamelContext();
            String url = "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/in";
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("nsq:orders?channel=library&servers=" + nsqd.address())
                            .to("push:" + url + "?format=SIMPLIFIED&timeout=5s");
                }
            });
            context.start();
            try {
                String id = nsqd.publish("orders", "hello from a plain CamelContext");
                await().atMost(Duration.ofSeconds(20)).until(() -> nsqd.finCount("orders", "library") == 1);
                return String.join("\n", received) + "\nexpected id=" + id + "\nloaded from "
                        + context.getComponent("push").getClass().getProtectionDomain().getCodeSource().getLocation();
            } finally {
                context.stop();
            }
        } finally {
            endpoint.stop(0);
        }
    }
}
