package io.nsqpush.app;

import org.apache.camel.util.IOHelper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

/**
 * Where a setting's value comes from, first found wins: the command line (and a test's overrides), JVM system
 * properties ({@code -Dpush.url=...}), environment variables ({@code PUSH_URL}), application.properties, the defaults
 * of nsq_to_http's flags when they are used, the built-in defaults. The order users know from other tools (Spring
 * Boot's, viper's): what is typed last, on the command line, wins. {@link FlagsFirst} gives Camel's placeholders the
 * same order; this class answers for the checks and aliases, which must also know in which layer a key was found.
 */
final class SettingLayers {

    /** One place settings come from. */
    record Layer(String name, Function<String, String> lookup, Set<String> keys) {
    }

    /** A value and the layer it came from. */
    record Found(String key, String value, Layer layer) {
    }

    private final List<Layer> layers;

    private SettingLayers(List<Layer> layers) {
        this.layers = layers;
    }

    /**
     * @param flags     the command line and test overrides
     * @param file      application.properties (or none)
     * @param fallbacks nsq_to_http's defaults when its flags are used, then the built-in defaults
     */
    static SettingLayers of(Map<String, String> flags, Path file, Map<String, String> fallbacks) {
        List<Layer> layers = new ArrayList<>();
        layers.add(new Layer("the command line", flags::get, flags.keySet()));
        Properties system = System.getProperties();
        Set<String> systemKeys = new LinkedHashSet<>();
        system.stringPropertyNames().forEach(systemKeys::add);
        layers.add(new Layer("a -D system property", System::getProperty, systemKeys));
        // environment variables can only be looked up (NSQ_TOPIC is nsq.topic, nsq-topic or nsq_topic): no key list
        layers.add(new Layer("an environment variable", IOHelper::lookupEnvironmentVariable, Set.of()));
        Map<String, String> fromFile = read(file);
        layers.add(new Layer(file.toString(), fromFile::get, fromFile.keySet()));
        layers.add(new Layer("the defaults", fallbacks::get, fallbacks.keySet()));
        return new SettingLayers(layers);
    }

    /** @return the value of the first layer that has the key (a Camel component key in any of Camel's spellings) */
    Optional<Found> find(String key) {
        for (Layer layer : layers) {
            Optional<Found> found = in(layer, key);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<Found> in(Layer layer, String key) {
        String value = layer.lookup().apply(key);
        if (value != null) {
            return Optional.of(new Found(key, value, layer));
        }
        if (key.startsWith("camel.component.")) {
            String wanted = ComponentKeys.normal(key);
            for (String listed : layer.keys()) {
                if (ComponentKeys.normal(listed).equals(wanted)) {
                    return Optional.of(new Found(listed, layer.lookup().apply(listed), layer));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * @param same whether two texts are the same value ({@code 45s} and {@code 45000} are)
     * @return the value of the first layer that has one of the keys; both with different values in that layer stop
     *         start-up, as one option set two ways
     * @throws io.nsqpush.config.InvalidValueException naming both keys
     */
    Optional<Found> find(String key, String otherKey, java.util.function.BiPredicate<String, String> same) {
        for (Layer layer : layers) {
            Optional<Found> one = in(layer, key);
            Optional<Found> two = in(layer, otherKey);
            if (one.isPresent() && two.isPresent() && !same.test(one.get().value(), two.get().value())) {
                throw new io.nsqpush.config.InvalidValueException(key, one.get().key() + " and " + two.get().key()
                        + " are the same option, set to different values in " + layer.name() + ": set one of them");
            }
            if (one.isPresent()) {
                return one;
            }
            if (two.isPresent()) {
                return two;
            }
        }
        return Optional.empty();
    }

    /** @return the keys some layer lists (not environment variables), first layer first, with their layer */
    Map<String, Layer> listedKeys() {
        Map<String, Layer> keys = new LinkedHashMap<>();
        for (Layer layer : layers) {
            for (String key : layer.keys()) {
                keys.putIfAbsent(key, layer);
            }
        }
        return keys;
    }

    /** @return whether the key comes from the built-in or nsq_to_http defaults, not from the user */
    static boolean isDefault(Found found) {
        return found.layer().name().equals("the defaults");
    }

    private static Map<String, String> read(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        if (!Files.isReadable(file)) {
            return values;
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in); // as Camel reads it: ISO-8859-1 with \\u escapes
        } catch (IOException e) {
            throw new io.nsqpush.config.InvalidValueException(file.toString(), file + " cannot be read: "
                    + e.getMessage());
        }
        properties.stringPropertyNames().forEach(k -> values.put(k, properties.getProperty(k)));
        return values;
    }
}
