package io.nsqpush.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as users write them, in every setting, template parameter, endpoint option and flag: Go's syntax (what
 * nsq_to_http and go-nsq take: {@code 500ms}, {@code 15s}, {@code 1m30s}, {@code 1.5h}, {@code 250us}), Camel's
 * {@code d} for days, ISO-8601 ({@code PT15S}), and a bare whole number as milliseconds. Strict, unlike Camel's own
 * parser, which reads {@code 10x} as 0: a typo must stop start-up, not become "no delay".
 */
public final class Durations {

    /** What the error messages and the docs say a duration may look like. */
    public static final String SYNTAX = "a duration such as 250ms, 15s, 10m, 1h or 1m30s (a bare number is milliseconds)";

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("\\d+");

    private Durations() {
    }

    /**
     * @return the duration in milliseconds; a part below a millisecond is rounded up, so that a positive duration
     *         never becomes 0
     * @throws IllegalArgumentException saying what is wrong, when the text is not a duration or is negative
     */
    public static long parseMillis(String text) {
        String value = text == null ? "" : text.trim();
        if (WHOLE.matcher(value).matches()) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException tooLarge) {
                throw new IllegalArgumentException("is too large");
            }
        }
        if (value.startsWith("P") || value.startsWith("p")) {
            try {
                Duration iso = Duration.parse(value);
                if (iso.isNegative()) {
                    throw new IllegalArgumentException("is negative");
                }
                return ceilMillis(iso.toNanos());
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new IllegalArgumentException("is not a duration");
            }
        }
        Matcher part = PART.matcher(value);
        long nanos = 0;
        int end = 0;
        while (part.lookingAt()) {
            try {
                nanos = Math.addExact(nanos, partNanos(part.group(1), part.group(2)));
            } catch (ArithmeticException tooLarge) {
                throw new IllegalArgumentException("is too large");
            }
            end = part.end();
            part.region(end, value.length());
        }
        if (end == 0 || end != value.length()) {
            throw new IllegalArgumentException("is not a duration");
        }
        return ceilMillis(nanos);
    }

    /** @return milliseconds as a user would write them: {@code 0}, {@code 250ms}, {@code 15s}, {@code 1m30s}, {@code 1h} */
    public static String format(long millis) {
        if (millis == 0) {
            return "0";
        }
        StringBuilder text = new StringBuilder();
        long rest = millis;
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (rest >= sizes[i]) {
                text.append(rest / sizes[i]).append(units[i]);
                rest %= sizes[i];
            }
        }
        return text.toString();
    }

    private static long partNanos(String number, String unit) {
        long scale = switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        try {
            return new java.math.BigDecimal(number).multiply(java.math.BigDecimal.valueOf(scale))
                    .setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        } catch (ArithmeticException tooLarge) {
            throw new IllegalArgumentException("is too large");
        }
    }

    private static long ceilMillis(long nanos) {
        return nanos / 1_000_000 + (nanos % 1_000_000 == 0 ? 0 : 1);
    }
}
