package io.nsqpush.app;

import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.config.Options;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.Range;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One key of application.properties, declared once in {@link Settings}: its default, what values it allows, how it is
 * checked, and its description. Validation at start-up, the README's settings table, {@code --help} and the
 * subscription template's parameters all read it from here.
 *
 * @param key         the application.properties key, also a {@code --key=value} flag
 * @param parameter   the name of the push template's parameter this key is the default for, or null
 * @param defaultValue the default as a user would write it; empty when the setting has none
 * @param allowed     what values are allowed, in words (for errors, the README and --help)
 * @param parser      checks a value and returns it parsed; throws {@link InvalidValueException} naming the key
 * @param secret      never printed: not in logs, not in --help defaults, not in summaries
 * @param description one or two sentences for the README and --help
 */
public record Setting(String key, String parameter, String defaultValue, String allowed, Parser parser,
                      boolean secret, String description) {

    /** Checks one value of a setting or parameter; {@code name} is what the error names. */
    @FunctionalInterface
    public interface Parser {
        Object parse(String name, String text);
    }

    /** @return the value parsed (a Long for numbers and durations), named by the key in errors */
    public Object parse(String text) {
        return parser.parse(key, text);
    }

    /** @return the value parsed, named by the template parameter in errors */
    public Object parseParameter(String text) {
        return parser.parse(parameter, text);
    }

    // ----------------------------------------------------------------------------------- kinds of settings

    static Setting text(String key, String parameter, String defaultValue, String description) {
        return new Setting(key, parameter, defaultValue, "any text", (name, text) -> text, false, description);
    }

    static Setting secret(String key, String parameter, String allowed, Parser parser, String description) {
        return new Setting(key, parameter, "", allowed, parser, true, description);
    }

    static Setting custom(String key, String parameter, String defaultValue, String allowed, Parser parser,
                          String description) {
        return new Setting(key, parameter, defaultValue, allowed, parser, false, description);
    }

    static Setting whole(String key, String parameter, String defaultValue, Range range, String description) {
        return new Setting(key, parameter, defaultValue, range.shortText(), range::parse, false, description);
    }

    static Setting duration(String key, String parameter, String defaultValue, Range range, String description) {
        return new Setting(key, parameter, defaultValue, range.shortText(), range::parse, false, description);
    }

    static Setting bool(String key, String parameter, String defaultValue, String description) {
        return new Setting(key, parameter, defaultValue, "true, false", (name, text) -> {
            String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
            if (!value.equals("true") && !value.equals("false")) {
                throw new InvalidValueException(name, text, "is not a boolean", "true, false");
            }
            return Boolean.parseBoolean(value);
        }, false, description);
    }

    /** One of a few words, case-insensitive; parsed to the word as declared. */
    static Setting choice(String key, String parameter, String defaultValue, List<String> choices, String description) {
        String allowed = String.join(", ", choices);
        return new Setting(key, parameter, defaultValue, allowed, (name, text) -> {
            String value = text == null ? "" : text.trim();
            return choices.stream().filter(c -> c.equalsIgnoreCase(value)).findFirst()
                    .orElseThrow(() -> new InvalidValueException(name, text, "is not one of them", allowed));
        }, false, description);
    }

    /**
     * A setting that feeds an option of the {@code nsq:} component: its default, range and description are the
     * option's own (declared on NsqConfiguration), so the two can never disagree.
     */
    static Setting nsqOption(String key, String parameter, String option) {
        Options.Option declared = NsqConfiguration.OPTIONS.get(option);
        Optional<Range> range = declared.range();
        String allowed = range.map(Range::shortText).orElse("any text");
        Parser parser = range.<Parser>map(r -> r::parse).orElse((name, text) -> text);
        return new Setting(key, parameter, declared.defaultValue(), allowed, parser, declared.secret(),
                declared.description() + " (the nsq: option " + option + ")");
    }

    /** @return the words of an enum, for {@link #choice} */
    static List<String> words(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).collect(Collectors.toList());
    }
}
