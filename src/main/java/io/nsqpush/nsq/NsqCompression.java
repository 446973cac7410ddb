package io.nsqpush.nsq;

import java.util.Locale;

/** Stream compression negotiated in IDENTIFY; nsqd supports one of the two at a time. */
public enum NsqCompression {
    NONE,
    SNAPPY,
    DEFLATE;

    /** @throws IllegalArgumentException naming the value and the allowed ones */
    public static NsqCompression parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("compression '" + value + "' is not one of: none, snappy, deflate");
        }
    }
}
