package io.nsqpush.component;

import io.nsqpush.config.Durations;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.Range;
import org.apache.camel.spi.UriParam;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the declarations on {@link NsqConfiguration}'s fields ({@code @UriParam} defaults and descriptions,
 * {@link OptionRange}) so that each default and limit is written once: the field's initial value, validation, and the
 * bridge's settings that feed these options all come from here, as go-nsq's config package reads its struct tags.
 */
public final class NsqOptions {

    /** One option: its name, default as written ({@code 60s}), range (numbers and durations) and description. */
    public record Option(String name, String defaultValue, Optional<Range> range, boolean duration, boolean secret,
                         String label, String description, Field field) {
    }

    private static final Map<String, Option> OPTIONS = read();

    private NsqOptions() {
    }

    /** @return every option of NsqConfiguration, in declaration order */
    public static Map<String, Option> all() {
        return OPTIONS;
    }

    /** @throws IllegalArgumentException when there is no such option (a programming error) */
    public static Option get(String name) {
        Option option = OPTIONS.get(name);
        if (option == null) {
            throw new IllegalArgumentException("no nsq: option " + name);
        }
        return option;
    }

    /** Gives every field its declared default, so that the field and the metadata can never disagree. */
    static void applyDefaults(NsqConfiguration configuration) {
        for (Option option : OPTIONS.values()) {
            if (!option.defaultValue().isEmpty()) {
                set(configuration, option, convert(option, option.defaultValue()));
            }
        }
    }

    /**
     * Checks number, duration and boolean options given as text (endpoint URI parameters, template parameters) with
     * the project's own rules, so that {@code 10x} or {@code lots} are refused naming the option, the value and what
     * is allowed, in the same words as a bad setting, instead of becoming 0 or a conversion stack trace in Camel.
     */
    static void parseTexts(Map<String, Object> parameters) {
        for (Map.Entry<String, Object> parameter : parameters.entrySet()) {
            Option option = OPTIONS.get(parameter.getKey());
            if (option == null || !(parameter.getValue() instanceof String text)) {
                continue;
            }
            if (option.range().isPresent()) {
                long value = option.range().get().parse(option.name(), text);
                parameter.setValue(option.field().getType() == int.class ? (Object) (int) value : (Object) value);
            } else if (option.field().getType() == boolean.class) {
                String value = text.trim().toLowerCase(java.util.Locale.ROOT);
                if (!value.equals("true") && !value.equals("false")) {
                    throw new InvalidValueException(option.name(), text, "is not a boolean", "true, false");
                }
                parameter.setValue(Boolean.parseBoolean(value));
            }
        }
    }

    /** Checks every ranged option; consumer options only when {@code consumer}. */
    static void checkRanges(NsqConfiguration configuration, boolean consumer) {
        for (Option option : OPTIONS.values()) {
            if (option.range().isPresent() && (consumer || !option.label().contains("consumer"))) {
                option.range().get().check(option.name(), ((Number) get(configuration, option)).longValue());
            }
        }
    }

    /** @throws InvalidValueException when the larger of two related options is below the smaller */
    static void checkOrder(String larger, long largerValue, String smaller, long smallerValue) {
        if (largerValue < smallerValue) {
            Option option = get(larger);
            throw new InvalidValueException(larger, text(option, largerValue), "is below " + smaller + " ("
                    + text(get(smaller), smallerValue) + ")", "at least " + smaller);
        }
    }

    private static String text(Option option, long value) {
        return option.duration() ? Durations.format(value) : String.valueOf(value);
    }

    private static Map<String, Option> read() {
        Map<String, Option> options = new LinkedHashMap<>();
        for (Field field : NsqConfiguration.class.getDeclaredFields()) {
            UriParam param = field.getAnnotation(UriParam.class);
            if (param == null) {
                continue;
            }
            boolean duration = "java.time.Duration".equals(param.javaType());
            OptionRange declared = field.getAnnotation(OptionRange.class);
            Optional<Range> range = Optional.ofNullable(declared).map(r -> duration ? Range.duration(r.min(), r.max())
                    : Range.whole(Long.parseLong(r.min()), Long.parseLong(r.max())));
            field.setAccessible(true);
            options.put(field.getName(), new Option(field.getName(), param.defaultValue(), range, duration,
                    param.secret(), param.label(), param.description(), field));
        }
        return java.util.Collections.unmodifiableMap(options);
    }

    private static Object convert(Option option, String text) {
        Class<?> type = option.field().getType();
        if (option.duration()) {
            return Durations.parseMillis(text);
        } else if (type == int.class) {
            return Integer.parseInt(text);
        } else if (type == long.class) {
            return Long.parseLong(text);
        } else if (type == boolean.class) {
            return Boolean.parseBoolean(text);
        }
        return text;
    }

    private static void set(NsqConfiguration configuration, Option option, Object value) {
        try {
            option.field().set(configuration, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object get(NsqConfiguration configuration, Option option) {
        try {
            return option.field().get(configuration);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
