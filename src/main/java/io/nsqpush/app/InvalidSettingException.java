package io.nsqpush.app;

/** A setting that cannot work; the message names the key, the bad value and what is allowed. */
public final class InvalidSettingException extends RuntimeException {

    public InvalidSettingException(String message) {
        super(message);
    }
}
