package io.nsqpush.config;

/**
 * The allowed values of a whole-number or duration option, declared once per option and used by its validation, by
 * the README's tables and by {@code --help}.
 *
 * @param min      smallest allowed value (milliseconds for a duration)
 * @param max      largest allowed value (milliseconds for a duration)
 * @param duration whether values are durations ({@link Durations}) rather than plain numbers
 */
public record Range(long min, long max, boolean duration) {

    public static Range whole(long min, long max) {
        return new Range(min, max, false);
    }

    /** @param min and max as durations, e.g. {@code "1s"}, {@code "15m"} */
    public static Range duration(String min, String max) {
        return new Range(Durations.parseMillis(min), Durations.parseMillis(max), true);
    }

    /**
     * @return the value the text stands for (milliseconds for a duration)
     * @throws InvalidValueException naming the key, the text and this range
     */
    public long parse(String key, String text) {
        long value;
        try {
            value = duration ? Durations.parseMillis(text) : Long.parseLong(text == null ? "" : text.trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(key, text, duration ? e.getMessage() : "is not a whole number", allowed());
        }
        return check(key, value, text);
    }

    /** @throws InvalidValueException when the value is outside the range */
    public long check(String key, long value) {
        return check(key, value, duration ? Durations.format(value) : String.valueOf(value));
    }

    private long check(String key, long value, String asWritten) {
        if (value < min || value > max) {
            throw new InvalidValueException(key, asWritten, "is out of range", allowed());
        }
        return value;
    }

    /** @return e.g. {@code 1..65535}, or for a duration {@code 1s..15m, a duration such as ...} */
    public String allowed() {
        if (!duration) {
            return min + ".." + max;
        }
        return Durations.format(min) + ".." + (max >= Long.MAX_VALUE / 2 ? "" : Durations.format(max)) + ", "
                + Durations.SYNTAX;
    }

    /** @return the range in a few characters, for tables: {@code 1..65535}, {@code 1s..15m} */
    public String shortText() {
        if (!duration) {
            return min + ".." + max;
        }
        return Durations.format(min) + ".." + (max >= Long.MAX_VALUE / 2 ? "" : Durations.format(max));
    }
}
