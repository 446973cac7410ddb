package io.nsqpush.nsq;

import java.util.Set;

/**
 * An error frame (type 1), e.g. {@code E_BAD_TOPIC PUB topic name "x y" is not valid}.
 *
 * @param code the leading {@code E_…} token
 * @param text the whole error text as nsqd sent it
 */
public record NsqError(String code, String text) {

    /** The only errors after which nsqd keeps the connection open (protocol_v2.go: NewClientErr, not Fatal). */
    private static final Set<String> NON_FATAL = Set.of("E_FIN_FAILED", "E_REQ_FAILED", "E_TOUCH_FAILED");

    static NsqError parse(String text) {
        int space = text.indexOf(' ');
        return new NsqError(space < 0 ? text : text.substring(0, space), text);
    }

    /** @return true when nsqd closes the connection after sending this error */
    public boolean isFatal() {
        return !NON_FATAL.contains(code);
    }
}
