package io.nsqpush.nsq;

/** Anything that goes wrong talking to nsqd: an error frame, a lost connection, a timeout. */
public class NsqException extends RuntimeException {

    public NsqException(String message) {
        super(message);
    }

    public NsqException(String message, Throwable cause) {
        super(message, cause);
    }
}
