package io.nsqpush.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/** The MBeans made from one description per class are those Camel makes, each reading its own object. */
class CachedMBeanAssemblerTest {

    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();

    @Test
    void routeMBeansShareTheirDescriptionButNotTheirValues() throws Exception {
        try (CamelContext cached = context("cached-assembler", true);
             CamelContext camels = context("camels-assembler", false)) {
            // the context's JMX agent uses it (not Camel's, kept by the agent from before)
            CachedMBeanAssembler assembler = (CachedMBeanAssembler) cached.getCamelContextExtension()
                    .getManagementMBeanAssembler();
            cached.createProducerTemplate().sendBody("direct:a", "one");
            cached.createProducerTemplate().sendBody("direct:a", "two");
            cached.createProducerTemplate().sendBody("direct:b", "three");

            ObjectName a = route(cached, "a");
            ObjectName b = route(cached, "b");
            assertTrue(assembler.describes(Class.forName(JMX.getMBeanInfo(a).getClassName())), assembler.toString());
            // no value of one route's MBean leaks into the other's through the shared description
            assertEquals(2L, JMX.getAttribute(a, "ExchangesTotal"));
            assertEquals(1L, JMX.getAttribute(b, "ExchangesTotal"));
            assertEquals("a", JMX.getAttribute(a, "RouteId"));
            assertEquals("b", JMX.getAttribute(b, "RouteId"));
            JMX.invoke(a, "reset", new Object[0], new String[0]);
            assertEquals(0L, JMX.getAttribute(a, "ExchangesTotal"));
            assertEquals(1L, JMX.getAttribute(b, "ExchangesTotal"));

            // the same attributes and operations as Camel's own assembler gives, for routes and endpoints
            assertEquals(names(JMX.getMBeanInfo(route(camels, "a"))), names(JMX.getMBeanInfo(a)));
            ObjectName endpoint = one(cached, "type=endpoints,name=\"direct://a\"");
            assertEquals(names(JMX.getMBeanInfo(one(camels, "type=endpoints,name=\"direct://a\""))),
                    names(JMX.getMBeanInfo(endpoint)));
            assertEquals("direct://a", JMX.getAttribute(endpoint, "EndpointUri"));
        }
    }

    private static CamelContext context(String name, boolean cachedAssembler) throws Exception {
        // installed before the context is built, as the bridge does it before camel-main configures the context
        DefaultCamelContext context = new DefaultCamelContext(false);
        context.getCamelContextExtension().setName(name);
        if (cachedAssembler) {
            CachedMBeanAssembler.install(context);
        }
        context.build();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:a").routeId("a").log("a ${body}");
                from("direct:b").routeId("b").log("b ${body}");
            }
        });
        context.start();
        return context;
    }

    private static ObjectName route(CamelContext context, String id) throws Exception {
        return one(context, "type=routes,name=\"" + id + "\"");
    }

    private static ObjectName one(CamelContext context, String properties) throws Exception {
        Set<ObjectName> found = JMX.queryNames(new ObjectName("org.apache.camel:context="
                + context.getManagementName() + "," + properties + ",*"), null);
        assertEquals(1, found.size(), properties + " in " + context.getName() + ": " + found);
        return found.iterator().next();
    }

    /** Attribute names with their types, and operation names with their signatures. */
    private static Set<String> names(MBeanInfo info) {
        Set<String> names = new TreeSet<>();
        Arrays.stream(info.getAttributes()).map(a -> "attribute " + a.getName() + " " + a.getType()
                + (a.isWritable() ? " rw" : " r")).forEach(names::add);
        Arrays.stream(info.getOperations()).map(o -> "operation " + o.getName() + Arrays.stream(o.getSignature())
                .map(p -> p.getType()).collect(Collectors.joining(",", "(", ")"))).forEach(names::add);
        assertTrue(names.size() > 10, "an MBean with its attributes and operations: " + names);
        return names;
    }
}
