package io.nsqpush.nsq;

import java.util.ArrayList;
import java.util.List;

/** An nsqd TCP address, {@code host:port}. */
public record NsqAddress(String host, int port) {

    /** @throws IllegalArgumentException with the bad value when it is not {@code host:port} with a port 1..65535 */
    public static NsqAddress parse(String value) {
        String text = value == null ? "" : value.trim();
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + value + "' is not an address of the form host:port");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + value + "' has no valid port: expected host:port, port 1-65535");
        }
        return new NsqAddress(host, port);
    }

    /** What a list of addresses may look like, for messages. */
    public static final String LIST_ALLOWED = "comma-separated host:port, e.g. 127.0.0.1:4150";

    /**
     * Parses a comma-separated list, ignoring blanks and repeats.
     *
     * @throws io.nsqpush.config.InvalidValueException naming the key, the list and the address that is wrong
     */
    public static List<NsqAddress> parseList(String name, String values) {
        try {
            return parseList(values);
        } catch (IllegalArgumentException e) {
            throw new io.nsqpush.config.InvalidValueException(name, values, "is not a list of addresses ("
                    + e.getMessage() + ")", LIST_ALLOWED);
        }
    }

    /** Parses a comma-separated list, ignoring blanks and repeats. */
    public static List<NsqAddress> parseList(String values) {
        List<NsqAddress> addresses = new ArrayList<>();
        if (values != null) {
            for (String value : values.split(",")) {
                if (!value.isBlank()) {
                    NsqAddress address = parse(value);
                    if (!addresses.contains(address)) {
                        addresses.add(address);
                    }
                }
            }
        }
        return addresses;
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
