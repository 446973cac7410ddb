package io.nsqpush.app;

import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.Options;
import io.nsqpush.config.Range;

import java.util.List;
import java.util.Locale;

/**
 * One key of application.properties, declared once in {@link Settings}: its default, what values it allows, how it is
 * checked, and its description. Most keys are aliases of a component option ({@link Alias}): then all of those come
 * from the option's own declaration, and the key sets that option for every endpoint, exactly as
 * {@code camel.component.<component>.<option>} does. Validation, the README's settings table and {@code --help} read
 * it from here.
 *
 * @param key          the application.properties key, also a {@code --key=value} flag
 * @param parameter    the subscription parameter it is the default of, or null
 * @param defaultValue the default as a user would write it; empty when the setting has none
 * @param allowed      what values are allowed, in words (for errors, the README and --help)
 * @param parser       checks a value and returns it parsed; throws {@link InvalidValueException} naming the key
 * @param secret       never printed: not in logs, not in --help defaults, not in summaries
 * @param description  one or two sentences for the README and --help
 * @param alias        the component option the key sets, or null for a setting of the bridge itself
 */
public record Setting(String key, String parameter, String defaultValue, String allowed, Parser parser,
                      boolean secret, String description, Alias alias) {

    /** Checks one value of a setting or parameter; {@code name} is what the error names. */
    @FunctionalInterface
    public interface Parser {
        Object parse(String name, String text);
    }

    /**
     * The component option a setting is another name for.
     *
     * @param component      {@code nsq} or {@code push}
     * @param option         the option's declaration
     * @param componentLevel an option of the component itself (shared by its endpoints), not of each endpoint
     */
    public record Alias(String component, Options.Option option, boolean componentLevel) {
        /** @return {@code camel.component.nsq.max-in-flight} */
        public String camelKey() {
            return "camel.component." + component + "." + option.kebab();
        }
    }

    /** @return the value parsed (a Long for numbers and durations), named by the key in errors */
    public Object parse(String text) {
        return parser.parse(key, text);
    }

    /** @return the same setting with its own check and words for what is allowed (a text option's shape) */
    Setting checked(String allowedText, Parser check) {
        return new Setting(key, parameter, defaultValue, allowedText, check, secret, description, alias);
    }

    // ----------------------------------------------------------------------------------- kinds of settings

    /** A setting that is another name for an option of each endpoint of a component. */
    static Setting option(String key, String component, Options options, String name) {
        return of(key, component, options.get(name), false, name);
    }

    /** A setting that is another name for an option of a component itself. */
    static Setting componentOption(String key, String component, Options options, String name) {
        return of(key, component, options.get(name), true, null);
    }

    private static Setting of(String key, String component, Options.Option option, boolean componentLevel,
                              String parameter) {
        String allowed = option.allowed().isEmpty() ? "any text" : option.allowed();
        String description = option.description() + (option.description().endsWith(".") ? "" : ".");
        return new Setting(key, parameter, option.defaultValue(), allowed, option::parse, option.secret(),
                description, new Alias(component, option, componentLevel));
    }

    static Setting text(String key, String parameter, String defaultValue, String description) {
        return new Setting(key, parameter, defaultValue, "any text", (name, text) -> text, false, description, null);
    }

    static Setting custom(String key, String parameter, String defaultValue, String allowed, Parser parser,
                          String description) {
        return new Setting(key, parameter, defaultValue, allowed, parser, false, description, null);
    }

    static Setting whole(String key, String parameter, String defaultValue, Range range, String description) {
        return new Setting(key, parameter, defaultValue, range.shortText(), range::parse, false, description, null);
    }

    static Setting bool(String key, String parameter, String defaultValue, String description) {
        return new Setting(key, parameter, defaultValue, "true, false", (name, text) -> {
            String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
            if (!value.equals("true") && !value.equals("false")) {
                throw new InvalidValueException(name, text, "is not a boolean", "true, false");
            }
            return Boolean.parseBoolean(value);
        }, false, description, null);
    }

    /** A setting that is the default of an option declared elsewhere (not a component's): its default and range. */
    static Setting declared(String key, String parameter, Options.Option option) {
        return new Setting(key, parameter, option.defaultValue(), option.allowed(), option::parse, false,
                option.description() + ".", null);
    }

    /** @return the words of an enum */
    static List<String> words(Enum<?>[] values) {
        return java.util.Arrays.stream(values).map(Enum::name).toList();
    }
}
