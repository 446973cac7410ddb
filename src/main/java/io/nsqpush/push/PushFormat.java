package io.nsqpush.push;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The two CMQ HTTP push formats: metadata in a JSON envelope, or the raw body with metadata in headers only. */
public enum PushFormat {
    /** The body is CMQ's JSON envelope (TopicOwner, topicName, ..., msgBody, publishTime). */
    JSON,
    /** The body is the message body, byte for byte. */
    SIMPLIFIED;

    /** Same as {@link #parse(String, String)} with the key {@code format}. */
    public static PushFormat parse(String value) {
        return parse("format", value);
    }

    /**
     * Reads a configured format, case-insensitive and trimmed, so a typo fails at startup with a message naming the
     * setting, not as a silent default.
     *
     * @param key the configuration key to name in the error, e.g. {@code push.format}
     * @throws io.nsqpush.config.InvalidValueException when the value is null or not a format
     */
    public static PushFormat parse(String key, String value) {
        if (value != null) {
            String wanted = value.trim().toUpperCase(Locale.ROOT);
            for (PushFormat format : values()) {
                if (format.name().equals(wanted)) {
                    return format;
                }
            }
        }
        String allowed = Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
        throw new io.nsqpush.config.InvalidValueException(key, value, "is not one of them", allowed);
    }
}
