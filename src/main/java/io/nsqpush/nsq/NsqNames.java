package io.nsqpush.nsq;

import io.nsqpush.config.InvalidValueException;

import java.util.regex.Pattern;

/** nsqd's rule for topic and channel names: 1–64 of {@code [.a-zA-Z0-9_-]}, optionally ending in {@code #ephemeral}. */
public final class NsqNames {

    private static final Pattern VALID = Pattern.compile("^[.a-zA-Z0-9_-]+(#ephemeral)?$");

    private NsqNames() {
    }

    public static boolean isValid(String name) {
        return name != null && name.length() >= 1 && name.length() <= 64 && VALID.matcher(name).matches();
    }

    /** What nsqd allows, for messages and docs. */
    public static final String ALLOWED = "1-64 characters of [.a-zA-Z0-9_-], optionally ending in #ephemeral";

    /** @throws InvalidValueException naming what and the bad value, when the name is not one nsqd accepts */
    public static String require(String what, String name) {
        if (!isValid(name)) {
            throw new InvalidValueException(what, name, "is not a valid NSQ name", ALLOWED);
        }
        return name;
    }
}
