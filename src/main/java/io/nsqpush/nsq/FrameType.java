package io.nsqpush.nsq;

/** The three frame types nsqd sends; any other value on the wire is a malformed frame. */
public enum FrameType {
    RESPONSE,
    ERROR,
    MESSAGE;

    /** @return the frame type for its wire code, or {@code null} when the code is not one nsqd uses */
    static FrameType ofCode(int code) {
        return switch (code) {
            case 0 -> RESPONSE;
            case 1 -> ERROR;
            case 2 -> MESSAGE;
            default -> null;
        };
    }
}
