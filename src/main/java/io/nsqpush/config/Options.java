package io.nsqpush.config;

import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The options of a component, read from the declarations on its {@code @UriParams} class ({@code @UriParam} defaults,
 * enums and descriptions, {@link OptionRange}) so that each default and limit is written once: the field's initial
 * value, the strict parsing of option texts, validation, the bridge's settings and flags and the README's tables all
 * come from here, as go-nsq's config package reads its struct tags.
 */
public final class Options {

    /**
     * One option.
     *
     * @param name         the option's name, as in an endpoint URI ({@code maxInFlight})
     * @param defaultValue the default as written ({@code 60s}); empty when there is none
     * @param range        the allowed values of a number or duration
     * @param duration     whether the value is a duration (kept in milliseconds)
     * @param secret       never printed
     * @param label        Camel's groups, e.g. {@code consumer,advanced}
     * @param enums        the allowed words, empty when any text goes
     */
    public record Option(String name, String defaultValue, Optional<Range> range, boolean duration, boolean secret,
                         String label, String description, List<String> enums, Field field) {

        /** @return the name as a property key segment: {@code max-in-flight} */
        public String kebab() {
            return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
        }

        /** @return what values are allowed, in a few words (for errors, tables and --help) */
        public String allowed() {
            if (range.isPresent()) {
                return range.get().shortText();
            } else if (field.getType() == double.class && field.getAnnotation(OptionRange.class) != null) {
                return field.getAnnotation(OptionRange.class).min() + ".." + field.getAnnotation(OptionRange.class)
                        .max();
            } else if (field.getType() == boolean.class) {
                return "true, false";
            } else if (!enums.isEmpty()) {
                return String.join(", ", enums);
            }
            return "";
        }

        /**
         * Checks a value written as text with the project's rules (strict, unlike Camel's converters: {@code 10x} is
         * not 0) and returns it as the field holds it: a Long or Integer for numbers and durations (milliseconds), a
         * Boolean, an enum word as declared, else the text.
         *
         * @param key what an error names: the option, a setting, a flag or a template parameter
         * @throws InvalidValueException naming the key, the value and what is allowed
         */
        public Object parse(String key, String text) {
            Class<?> type = field.getType();
            if (range.isPresent()) {
                long value = range.get().parse(key, text);
                return type == int.class ? (Object) (int) value : (Object) value;
            } else if (type == boolean.class) {
                String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
                if (!value.equals("true") && !value.equals("false")) {
                    throw new InvalidValueException(key, text, "is not a boolean", "true, false");
                }
                return Boolean.parseBoolean(value);
            } else if (type == double.class) {
                OptionRange bounds = field.getAnnotation(OptionRange.class);
                String allowed = bounds == null ? null : "a number from " + bounds.min() + " to " + bounds.max();
                try {
                    double value = Double.parseDouble(text == null ? "" : text.trim());
                    if (bounds == null || (value >= Double.parseDouble(bounds.min())
                            && value <= Double.parseDouble(bounds.max()))) {
                        return value;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new InvalidValueException(key, text, bounds == null ? "is not a number" : "is out of range",
                        allowed);
            } else if (type == int.class || type == long.class) {
                long value;
                try {
                    value = Long.parseLong(text == null ? "" : text.trim());
                } catch (NumberFormatException e) {
                    throw new InvalidValueException(key, text, "is not a whole number", null);
                }
                return type == int.class ? (Object) (int) value : (Object) value;
            } else if (!enums.isEmpty()) {
                String value = text == null ? "" : text.trim();
                return enums.stream().filter(e -> e.equalsIgnoreCase(value)).findFirst()
                        .orElseThrow(() -> new InvalidValueException(key, secret ? "(secret, not shown)" : text,
                                "is not one of them", String.join(", ", enums)));
            }
            return text;
        }

        /** @return a value of the field as a user would write it: {@code 60s}, {@code 200}, {@code true} */
        public String text(Object value) {
            if (duration && value instanceof Number number) {
                return Durations.format(number.longValue());
            }
            return value == null ? "" : String.valueOf(value);
        }
    }

    private final Class<?> type;
    private final Map<String, Option> options;

    private Options(Class<?> type, Map<String, Option> options) {
        this.type = type;
        this.options = options;
    }

    /**
     * @return the options declared by {@code @UriParam} fields of a {@code @UriParams} class (not its
     *         {@code @UriPath}), or by {@code @Metadata} fields of a component (those holding a number, a duration, a
     *         boolean or text: not its configuration object or shared resources)
     */
    public static Options of(Class<?> type) {
        Map<String, Option> options = new LinkedHashMap<>();
        for (Field field : type.getDeclaredFields()) {
            UriParam param = field.getAnnotation(UriParam.class);
            Metadata metadata = field.getAnnotation(Metadata.class);
            if (param == null && (metadata == null || !SIMPLE.contains(field.getType()))) {
                continue;
            }
            String javaType = param != null ? param.javaType() : metadata.javaType();
            boolean duration = "java.time.Duration".equals(javaType);
            OptionRange declared = field.getAnnotation(OptionRange.class);
            Optional<Range> range = Optional.ofNullable(field.getType() == double.class ? null : declared)
                    .map(r -> duration ? Range.duration(r.min(), r.max())
                    : Range.whole(Long.parseLong(r.min()), Long.parseLong(r.max())));
            String enums = param != null ? param.enums() : metadata.enums();
            field.setAccessible(true);
            options.put(field.getName(), new Option(field.getName(),
                    param != null ? param.defaultValue() : metadata.defaultValue(), range, duration,
                    param != null ? param.secret() : metadata.secret(),
                    param != null ? param.label() : metadata.label(),
                    param != null ? param.description() : description(field, metadata),
                    enums.isEmpty() ? List.of() : Arrays.stream(enums.split(",")).map(String::trim).toList(), field));
        }
        return new Options(type, Collections.unmodifiableMap(options));
    }

    /** A path option ({@code @UriPath} with {@code @Metadata}) is described by its path annotation. */
    private static String description(Field field, Metadata metadata) {
        org.apache.camel.spi.UriPath path = field.getAnnotation(org.apache.camel.spi.UriPath.class);
        return metadata.description().isEmpty() && path != null ? path.description() : metadata.description();
    }

    private static final java.util.Set<Class<?>> SIMPLE = java.util.Set.of(String.class, int.class, long.class,
            boolean.class, double.class);

    /** @return every option, in declaration order */
    public Map<String, Option> all() {
        return options;
    }

    public Optional<Option> find(String name) {
        return Optional.ofNullable(options.get(name));
    }

    /** @throws IllegalArgumentException when there is no such option (a programming error) */
    public Option get(String name) {
        Option option = options.get(name);
        if (option == null) {
            throw new IllegalArgumentException("no option " + name + " in " + type.getSimpleName());
        }
        return option;
    }

    /** Gives every field its declared default, so that the field and the metadata can never disagree. */
    public void applyDefaults(Object target) {
        for (Option option : options.values()) {
            if (!option.defaultValue().isEmpty()) {
                set(target, option, option.parse(option.name(), option.defaultValue()));
            }
        }
    }

    /**
     * Checks the options given as text (endpoint URI parameters) with {@link Option#parse}, so that {@code 10x} or
     * {@code lots} are refused naming the option, the value and what is allowed, in the same words as a bad setting,
     * instead of becoming 0 or a conversion stack trace in Camel. Texts are replaced by their parsed values.
     */
    public void parseTexts(Map<String, Object> parameters) {
        for (Map.Entry<String, Object> parameter : parameters.entrySet()) {
            Option option = options.get(parameter.getKey());
            if (option != null && parameter.getValue() instanceof String text
                    && (option.range().isPresent() || option.field().getType() != String.class
                    || !option.enums().isEmpty())) {
                parameter.setValue(option.parse(option.name(), text));
            }
        }
    }

    /**
     * Checks every option with allowed words and sets it to the word as declared ({@code simplified} becomes
     * {@code SIMPLIFIED}): a value set through Camel's own configurers (component-wide options) is not parsed by
     * {@link #parseTexts}.
     */
    public void normalizeWords(Object target) {
        for (Option option : options.values()) {
            Object value = get(target, option);
            if (!option.enums().isEmpty() && value instanceof String text) {
                set(target, option, option.parse(option.name(), text));
            }
        }
    }

    /** Checks the range of every ranged option the filter selects (a value set programmatically may be anything). */
    public void checkRanges(Object target, Predicate<Option> which) {
        for (Option option : options.values()) {
            if (option.range().isPresent() && which.test(option)) {
                option.range().get().check(option.name(), ((Number) get(target, option)).longValue());
            }
        }
    }

    /** @throws InvalidValueException when the larger of two related options is below the smaller */
    public void checkOrder(Object target, String larger, String smaller) {
        Option large = get(larger);
        Option small = get(smaller);
        long largeValue = ((Number) get(target, large)).longValue();
        long smallValue = ((Number) get(target, small)).longValue();
        if (largeValue < smallValue) {
            throw new InvalidValueException(larger, large.text(largeValue), "is below " + smaller + " ("
                    + small.text(smallValue) + ")", "at least " + smaller);
        }
    }

    /** @return the option's current value on the object */
    public Object get(Object target, Option option) {
        try {
            return option.field().get(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void set(Object target, Option option, Object value) {
        try {
            option.field().set(target, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
