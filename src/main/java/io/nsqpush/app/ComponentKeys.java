package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.component.NsqComponent;
import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.config.Options;
import io.nsqpush.push.PushComponent;
import io.nsqpush.push.PushConfiguration;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code camel.component.nsq.*} and {@code camel.component.push.*} keys there are: every component option in the
 * generated metadata (the components' JSON descriptors, Camel's own options included), and those of them that hold a
 * value the bridge checks and sets itself ({@link Options}).
 */
final class ComponentKeys {

    private static final Map<String, List<String>> ALL = Map.of("nsq", read("META-INF/io/nsqpush/component/nsq.json"),
            "push", read("META-INF/io/nsqpush/push/push.json"));

    private ComponentKeys() {
    }

    /** @return {@code camel.component.<component>.<option-in-kebab-case>} for every option of the component */
    static List<String> all(String component) {
        return ALL.get(component);
    }

    /** @return whether a camel.component key names an option, in Camel's spellings (kebab or camel case, any case) */
    static boolean isKnown(String key) {
        for (Map.Entry<String, List<String>> component : ALL.entrySet()) {
            String prefix = "camel.component." + component.getKey() + ".";
            if (key.startsWith(prefix)) {
                String wanted = normal(key);
                return component.getValue().stream().anyMatch(k -> normal(k).equals(wanted));
            }
        }
        return false;
    }

    /** @return the options the bridge checks and sets, by their kebab-case key */
    static Map<String, Setting.Alias> simpleOptions(String component) {
        Map<String, Setting.Alias> options = new LinkedHashMap<>();
        Options endpoint = component.equals("nsq") ? NsqConfiguration.OPTIONS : PushConfiguration.OPTIONS;
        Options own = Options.of(component.equals("nsq") ? NsqComponent.class : PushComponent.class);
        endpoint.all().values().forEach(o -> put(options, new Setting.Alias(component, o, false)));
        own.all().values().forEach(o -> put(options, new Setting.Alias(component, o, true)));
        return options;
    }

    private static void put(Map<String, Setting.Alias> options, Setting.Alias alias) {
        options.put(alias.camelKey(), alias);
    }

    /** @return the key without dashes, in lower case: how Camel matches option names */
    static String normal(String key) {
        return key.replace("-", "").toLowerCase(Locale.ROOT);
    }

    private static List<String> read(String resource) {
        try (InputStream in = ComponentKeys.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no component metadata " + resource + ": the build generates it");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            String scheme = root.path("component").path("scheme").asText();
            List<String> keys = new ArrayList<>();
            for (Iterator<String> names = root.path("componentProperties").fieldNames(); names.hasNext(); ) {
                String name = names.next();
                keys.add("camel.component." + scheme + "." + name.replaceAll("([a-z0-9])([A-Z])", "$1-$2")
                        .toLowerCase(Locale.ROOT));
            }
            return List.copyOf(keys);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
