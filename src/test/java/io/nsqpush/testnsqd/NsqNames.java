package io.nsqpush.testnsqd;

import java.util.regex.Pattern;

/** nsqd's internal/protocol/names.go, plus Go's %q quoting used in its error texts. */
final class NsqNames {

    private static final Pattern VALID_NAME = Pattern.compile("^[.a-zA-Z0-9_-]+(#ephemeral)?$");

    private NsqNames() {
    }

    static boolean isValid(String name) {
        return name.length() >= 1 && name.length() <= 64 && VALID_NAME.matcher(name).matches();
    }

    static boolean isEphemeral(String name) {
        return name.endsWith("#ephemeral");
    }

    /** Go's %q for the strings that reach an error text (close enough for non-ASCII). */
    static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        quoted.append(String.format("\\x%02x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
