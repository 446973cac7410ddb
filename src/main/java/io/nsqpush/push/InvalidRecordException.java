package io.nsqpush.push;

/**
 * A dead-letter record that replay refuses to publish (see {@link DeadLetterReplay}); the replay route keeps it aside.
 * The message says why in one line fit for a log: no body, and the record's own values only as short, masked excerpts.
 */
public class InvalidRecordException extends Exception {

    public InvalidRecordException(String message) {
        super(message, null, false, false);
    }
}
