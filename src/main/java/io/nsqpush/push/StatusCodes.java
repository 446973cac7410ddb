package io.nsqpush.push;

import io.nsqpush.config.InvalidValueException;

import java.util.BitSet;

/**
 * A set of HTTP status codes as users write it: {@code 400,404,410} or with ranges {@code 400-499}. Used by
 * {@code push.dead-letter-on} and {@code push.success-on}.
 */
public final class StatusCodes {

    public static final String ALLOWED = "HTTP statuses 100-599, comma-separated, ranges like 400-499, or empty";
    public static final StatusCodes NONE = new StatusCodes(new BitSet(), "");

    private final BitSet codes;
    private final String text;

    private StatusCodes(BitSet codes, String text) {
        this.codes = codes;
        this.text = text;
    }

    /** @throws InvalidValueException naming the key and the text when a part is not a status or a range */
    public static StatusCodes parse(String name, String text) {
        String value = text == null ? "" : text.trim();
        BitSet codes = new BitSet(600);
        StringBuilder normal = new StringBuilder();
        for (String part : value.split(",")) {
            String item = part.trim();
            if (item.isEmpty()) {
                continue;
            }
            String[] bounds = item.split("-", -1);
            int low = status(name, text, bounds[0]);
            int high = bounds.length == 2 ? status(name, text, bounds[1]) : low;
            if (bounds.length > 2 || high < low) {
                throw new InvalidValueException(name, text, "is not a list of HTTP statuses", ALLOWED);
            }
            codes.set(low, high + 1);
            normal.append(normal.isEmpty() ? "" : ",").append(low == high ? "" + low : low + "-" + high);
        }
        return codes.isEmpty() ? NONE : new StatusCodes(codes, normal.toString());
    }

    private static int status(String name, String text, String part) {
        try {
            int status = Integer.parseInt(part.trim());
            if (status >= 100 && status <= 599) {
                return status;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidValueException(name, text, "is not a list of HTTP statuses", ALLOWED);
    }

    public boolean contains(int status) {
        return status >= 0 && codes.get(status);
    }

    public boolean isEmpty() {
        return codes.isEmpty();
    }

    /** @return true when some status is in both sets */
    public boolean intersects(StatusCodes other) {
        return codes.intersects(other.codes);
    }

    /** @return true when some 2xx status is in the set */
    public boolean hasSuccess() {
        return codes.nextSetBit(200) >= 200 && codes.nextSetBit(200) <= 299;
    }

    /** @return the set as written, normalized, e.g. {@code 400,404,410-413}; empty when there is none */
    @Override
    public String toString() {
        return text;
    }
}
