package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.RealNsqd;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import io.nsqpush.component.NsqConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's plain route ("Routes"), as written there but for the endpoint's address: a route of a user's own,
 * {@code from: nsq:} → {@code to: push:} with the dead-letter channel as its error handler, in a bridge that has no
 * subscription of the template (so neither nsq.topic nor push.url is set), with the template's guarantees.
 */
class PlainRouteTest {

    static final String README_URL = "http://127.0.0.1:8080/billing";

    private final CapturedLogs logs = CapturedLogs.capture();
    private TestNsqd nsqd;
    private RealNsqd real;
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd, real, logs);
    }

    /** @return the YAML between the README's plain-route markers */
    static String readmeRoute() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("<!-- plain-route -->");
        int end = readme.indexOf("<!-- /plain-route -->");
        assertTrue(start > 0 && end > start, "the README marks its plain route");
        String block = readme.substring(start, end);
        String yaml = block.substring(block.indexOf("```yaml\n") + 8, block.lastIndexOf("```"));
        assertTrue(yaml.contains(README_URL), "the README's route sends to " + README_URL);
        return yaml;
    }

    private Bridge start(String nsqdAddress, Map<String, String> settings) throws Exception {
        endpoint = TestEndpoint.start();
        Map<String, String> routes = new HashMap<>();
        routes.put("push.yaml", null); // no template, no subscription: only the user's route and the dead letters
        routes.put("billing.yaml", readmeRoute().replace(README_URL, endpoint.url("/billing")));
        Map<String, String> all = new HashMap<>(Map.of("nsq.nsqd-tcp-addresses", nsqdAddress,
                "push.requeue-delay", "100ms", "push.redelivery-delay", "50ms"));
        all.putAll(settings);
        return Bridge.start(all, routes);
    }

    @Test
    void itDeliversAndDeadLettersAsTheTemplateDoesWithoutNsqTopicOrPushUrl() throws Exception {
        nsqd = TestNsqd.start();
        bridge = start(nsqd.address(), Map.of("nsq.max-attempts", "2"));
        endpoint.answer(n -> 200);
        String delivered = nsqd.publish("orders", "coupon=SPRING10");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "billing") == 1);
        Request request = endpoint.requests().get(0);
        assertEquals("/billing", request.path());
        assertEquals("coupon=SPRING10", request.bodyUtf8(), "SIMPLIFIED, as the route says");
        assertEquals(delivered, request.header("x-cmq-message-id"));
        assertEquals(List.of("orders/billing ← nsqd " + nsqd.address() + " → " + endpoint.url("/billing")
                        + " (SIMPLIFIED, 200 in flight); retries: redeliveries 2 (50ms, 100ms), then REQ 100ms, then"
                        + " dead letter → nsq:orders.dead-letter on the nsqd it came from"),
                logs.find(Level.INFO, "orders/billing ←").stream().map(CapturedLogs.Line::message).toList());

        endpoint.answer(n -> 500);
        String rejected = nsqd.publish("orders", "never accepted");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.published("orders.dead-letter").size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "billing") == 2);
        assertTrue(new String(nsqd.published("orders.dead-letter").get(0).body()).contains("\"msgId\":\"" + rejected
                + "\""));
        // two attempts of three requests each (the first and two redeliveries), then kept
        assertEquals(6, endpoint.requestsFor(rejected).size());
        assertEquals(1, nsqd.requeueCount("orders", "billing"));
    }

    /**
     * push: is an endpoint like any other: in Camel's registry, and as an MBean; the route's counters are in JMX by
     * default (statistics level RoutesOnly).
     */
    @Test
    void thePushStepIsAnEndpointInTheRegistryAndInJmx() throws Exception {
        nsqd = TestNsqd.start();
        bridge = start(nsqd.address(), Map.of());
        deliverOne();

        String uri = "push://" + endpoint.url("/billing") + "?format=SIMPLIFIED&timeout=10s";
        assertTrue(bridge.context().getEndpoints().stream().anyMatch(e -> e.getEndpointUri().equals(uri)),
                bridge.context().getEndpoints().toString());
        javax.management.MBeanServer jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        String context = bridge.context().getManagementName();
        List<String> endpoints = jmx.queryNames(new javax.management.ObjectName("org.apache.camel:context=" + context
                + ",type=endpoints,*"), null).stream().map(n -> n.getKeyProperty("name")).toList();
        assertTrue(endpoints.stream().anyMatch(name -> name.contains("push://")), endpoints.toString());
        List<javax.management.ObjectName> routes = List.copyOf(jmx.queryNames(new javax.management.ObjectName(
                "org.apache.camel:context=" + context + ",type=routes,name=\"orders-to-billing\""), null));
        assertEquals(1, routes.size(), "the route's MBean");
        assertEquals(1L, jmx.getAttribute(routes.get(0), "ExchangesCompleted"));
        // made from the bridge's one description per class (CachedMBeanAssembler), not Camel's one per MBean
        CachedMBeanAssembler assembler = (CachedMBeanAssembler) bridge.context().getCamelContextExtension()
                .getManagementMBeanAssembler();
        assertTrue(assembler.describes(Class.forName(jmx.getMBeanInfo(routes.get(0)).getClassName())),
                assembler.toString());
    }

    /** With Camel's Default statistics and MBeans levels, the send step to push: has its own MBean and counters. */
    @Test
    void theSendStepHasItsCountersAtTheDefaultStatisticsLevel() throws Exception {
        nsqd = TestNsqd.start();
        bridge = start(nsqd.address(), Map.of("camel.main.jmx-management-statistics-level", "Default",
                "camel.main.jmx-management-mbeans-level", "Default"));
        deliverOne();

        javax.management.MBeanServer jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        String context = bridge.context().getManagementName();
        List<javax.management.ObjectName> sends = jmx.queryNames(new javax.management.ObjectName(
                "org.apache.camel:context=" + context + ",type=processors,*"), null).stream()
                .filter(n -> {
                    try {
                        return String.valueOf(jmx.getAttribute(n, "Destination")).startsWith("push:");
                    } catch (javax.management.JMException notASend) {
                        return false;
                    }
                }).toList();
        assertEquals(1, sends.size(), "one to: push: step");
        assertEquals(1L, jmx.getAttribute(sends.get(0), "ExchangesCompleted"));
    }

    private void deliverOne() {
        endpoint.answer(n -> 200);
        nsqd.publish("orders", "counted");
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "billing") == 1);
    }

    @Test
    void anEndpointThatIsAwayPausesTheRouteAndDeadLettersNothing() throws Exception {
        nsqd = TestNsqd.start();
        bridge = start(nsqd.address(), Map.of("nsq.max-attempts", "1"));
        endpoint.answer(n -> 503);
        nsqd.publish("orders", "one");
        nsqd.publish("orders", "two");

        NsqConsumer consumer = (NsqConsumer) bridge.context().getRoute("orders-to-billing").getConsumer();
        await().atMost(Duration.ofSeconds(10)).until(consumer::isPaused);
        // max-attempts 1 would dead-letter each at its first failure: an outage must not
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> nsqd.published("orders.dead-letter").isEmpty() && nsqd.requeueCount("orders", "billing") == 0);
        endpoint.answer(n -> 200);
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "billing") == 2);
        assertTrue(nsqd.published("orders.dead-letter").isEmpty());
    }

    @Test
    void againstRealNsqdTheRouteDeliversAndNsqdCountsEachMessageOnce() throws Exception {
        real = RealNsqd.start();
        real.createTopic("orders");
        real.createChannel("orders", "billing");
        bridge = start(real.tcpAddress(), Map.of());
        endpoint.answer(n -> 200);
        real.publishAll("orders", List.of("a", "b", "c"));

        await().atMost(Duration.ofSeconds(15)).until(() -> endpoint.requests().size() == 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> real.channel("orders", "billing")
                .map(c -> c.depth() == 0 && c.inFlightCount() == 0 && c.finishCount() == 3).orElse(false));
        assertEquals(List.of("a", "b", "c"), endpoint.requests().stream().map(Request::bodyUtf8).sorted().toList());
        assertEquals(0, real.channel("orders", "billing").orElseThrow().requeueCount());
    }
}
