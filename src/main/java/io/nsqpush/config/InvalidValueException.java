package io.nsqpush.config;

/**
 * A configured value that cannot work. The message is one line that names the key (a setting, a template parameter, an
 * endpoint option or a flag), the value as written and what is allowed, e.g.
 * {@code push.timeout '10x' is not a duration: allowed 1ms..15m, a duration such as ...}. Every layer throws it, so
 * that start-up, live reload and the command line report bad input the same way.
 */
public class InvalidValueException extends IllegalArgumentException {

    private final String key;

    /**
     * @param problem what is wrong, e.g. {@code is out of range}
     * @param allowed what would work, or null when the problem says it all
     */
    public InvalidValueException(String key, String value, String problem, String allowed) {
        super(key + " '" + value + "' " + problem + (allowed == null ? "" : ": allowed " + allowed));
        this.key = key;
    }

    /** For a problem that is not about one value, e.g. two settings that contradict each other. */
    public InvalidValueException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** @return the setting, parameter, option or flag the message names first */
    public String key() {
        return key;
    }
}
