package io.nsqpush.nsq;

/** nsqd answered a command with an error frame. */
public final class NsqErrorException extends NsqException {

    private final transient NsqError error;

    public NsqErrorException(NsqError error) {
        super("nsqd answered " + error.text());
        this.error = error;
    }

    public NsqError error() {
        return error;
    }
}
