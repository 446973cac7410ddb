package io.nsqpush.nsq;

import io.netty.handler.codec.CorruptedFrameException;

/** A frame from nsqd that cannot be what nsqd sends; the connection that carried it is closed. */
public final class MalformedFrameException extends CorruptedFrameException {

    public MalformedFrameException(String message) {
        super(message);
    }
}
