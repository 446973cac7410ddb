package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.component.NsqComponent;
import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.component.NsqConsumer;
import io.nsqpush.config.Durations;
import io.nsqpush.config.Options;
import io.nsqpush.push.PushComponent;
import io.nsqpush.push.PushConfiguration;
import io.nsqpush.push.PushEndpoint;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestCertificates;
import org.apache.camel.Component;
import org.apache.camel.spi.PropertyConfigurerGetter;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every option of nsq: and push: that the components' generated metadata lists, set component-wide as
 * {@code camel.component.<component>.<option>} to a value other than its default, must be the value the shipped
 * subscription's endpoints (or the component) run with: an option the template or the settings silently override
 * fails here, and so does a new option nobody taught this test a value for.
 */
class ComponentOptionsTest {

    /** Options that hold shared resources, set by the application (not text a user writes). */
    private static final List<String> RESOURCES = List.of("configuration", "eventLoopGroup");

    private final TestNsqd nsqd = TestNsqd.start();
    private final TestCertificates certificates = TestCertificates.generate();
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, nsqd);
    }

    /** One option of the metadata, the value it is set to, and where the test reads it back. */
    private record Case(String component, String name, String key, String value, boolean endpoint) {
    }

    @Test
    void everyComponentOptionSetComponentWideIsWhatTheEndpointsRunWith() throws Exception {
        List<Case> cases = new ArrayList<>();
        cases.addAll(cases("nsq", "META-INF/io/nsqpush/component/nsq.json"));
        cases.addAll(cases("push", "META-INF/io/nsqpush/push/push.json"));
        Map<String, String> settings = new LinkedHashMap<>();
        cases.forEach(c -> settings.put(c.key(), c.value()));
        settings.put("push.url", "http://127.0.0.1:9/none?m=%s"); // method is GET below
        settings.put("nsq.topic", "orders");
        // no nsqd is needed to read the options back: the subscription connects in the background
        bridge = Bridge.start(settings);

        NsqConsumer consumer = (NsqConsumer) bridge.context().getRoute("push").getConsumer();
        NsqConfiguration nsq = consumer.getEndpoint().getConfiguration();
        PushEndpoint push = bridge.context().getEndpoints().stream().filter(PushEndpoint.class::isInstance)
                .map(PushEndpoint.class::cast).findFirst().orElseThrow();
        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            Object actual;
            if (c.endpoint()) {
                Object configuration = c.component().equals("nsq") ? nsq : push.getConfiguration();
                Options options = c.component().equals("nsq") ? NsqConfiguration.OPTIONS : PushConfiguration.OPTIONS;
                actual = options.get(c.name()).field().get(configuration);
            } else {
                Component component = bridge.context().getComponent(c.component());
                PropertyConfigurerGetter getter = (PropertyConfigurerGetter) PluginHelper.getConfigurerResolver(
                        bridge.context()).resolvePropertyConfigurer(c.component() + "-component", bridge.context());
                actual = getter.getOptionValue(component, c.name(), false);
            }
            if (!same(actual, c.value())) {
                wrong.add(c.key() + "=" + c.value() + " but the running value is " + actual);
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(cases.size() > 40, "every option was tried: " + cases.size());
    }

    private List<Case> cases(String component, String resource) throws Exception {
        JsonNode root;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            root = new ObjectMapper().readTree(in);
        }
        List<Case> cases = new ArrayList<>();
        JsonNode properties = root.path("componentProperties");
        for (Iterator<String> names = properties.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (RESOURCES.contains(name)) {
                continue;
            }
            JsonNode option = properties.get(name);
            String kebab = name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
            cases.add(new Case(component, name, "camel.component." + component + "." + kebab,
                    valueFor(component, name, option), option.has("configurationField")));
        }
        return cases;
    }

    /** @return a valid value other than the default, from the option's type, range and enums */
    private String valueFor(String component, String name, JsonNode option) {
        String special = switch (component + "." + name) {
            case "nsq.servers" -> "127.0.0.1:9";
            case "nsq.lookupd" -> "127.0.0.1:8";
            case "nsq.channel" -> "elsewhere";
            case "nsq.tlsTrustStore", "push.trustStore" -> certificates.trustStore().toString();
            case "nsq.tlsKeyStore" -> certificates.clientKeyStore().toString();
            case "nsq.tlsTrustStorePassword", "nsq.tlsKeyStorePassword", "push.trustStorePassword" ->
                    certificates.password();
            case "push.headers" -> "X-Team: billing";
            case "push.signingSecret" -> "whsec_" + Base64.getEncoder().encodeToString(new byte[24]);
            case "push.deadLetterOn" -> "400,422";
            case "push.successOn" -> "409";
            case "push.proxy" -> "127.0.0.1:3128";
            case "push.sample" -> "0.5";
            case "push.rateLimit" -> "250.0";
            // the larger of two related options must stay the larger
            case "nsq.maxRequeueDelay" -> "30m";
            case "nsq.maxBackoffDelay" -> "2m";
            case "nsq.maxReconnectDelay" -> "1m";
            default -> null;
        };
        if (special != null) {
            return special;
        }
        String type = option.path("type").asText();
        String defaultValue = option.path("defaultValue").asText("");
        Options.Option declared = declared(component, name);
        switch (type) {
            case "boolean":
                return String.valueOf(!Boolean.parseBoolean(defaultValue));
            case "enum":
                for (JsonNode word : option.path("enum")) {
                    if (!word.asText().equalsIgnoreCase(defaultValue)) {
                        return word.asText();
                    }
                }
                break;
            case "duration":
            case "integer":
                if (declared != null && declared.range().isPresent()) {
                    long min = declared.range().get().min();
                    long max = declared.range().get().max();
                    long current = declared.defaultValue().isEmpty() ? min
                            : ((Number) declared.parse(name, declared.defaultValue())).longValue();
                    long other = current < max ? Math.min(max, Math.max(current + 1, current * 2)) : current - 1;
                    return type.equals("duration") ? Durations.format(other) : String.valueOf(other);
                }
                break;
            case "string":
                return "set-" + name;
            default:
                break;
        }
        throw new AssertionError("no value to try for " + component + "." + name + " (" + type + "): teach the test");
    }

    private static Options.Option declared(String component, String name) {
        Options endpoint = component.equals("nsq") ? NsqConfiguration.OPTIONS : PushConfiguration.OPTIONS;
        Options own = Options.of(component.equals("nsq") ? NsqComponent.class : PushComponent.class);
        return endpoint.find(name).or(() -> own.find(name)).orElse(null);
    }

    /** Durations are held in milliseconds, enums by their word, any case. */
    private static boolean same(Object actual, String expected) {
        if (actual instanceof Long || actual instanceof Integer) {
            long value = ((Number) actual).longValue();
            try {
                return value == Durations.parseMillis(expected); // a bare number is milliseconds, or just a number
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        if (actual instanceof Double number) {
            return number == Double.parseDouble(expected);
        }
        return actual != null && (Objects.equals(actual.toString(), expected)
                || actual.toString().equalsIgnoreCase(expected));
    }
}
