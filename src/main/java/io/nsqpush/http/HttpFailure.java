package io.nsqpush.http;

import java.io.IOException;

/** A request that got no complete answer: why, in words a log line can carry. */
public class HttpFailure extends IOException {

    /** What kept the answer from coming. */
    public enum Reason {
        /** Nothing listens, or the TCP connect timed out. */
        CONNECT,
        /** The deadline passed before the whole answer arrived. */
        DEADLINE,
        /** The connection closed or broke before the whole answer arrived. */
        CLOSED,
        /** TLS failed (certificate, handshake). */
        TLS,
        /** The proxy refused or failed. */
        PROXY,
        /** The answer could not be read as HTTP: bytes that are not HTTP, headers over the limit. */
        PROTOCOL,
        /** No connection to the host became free in time: every one the per-host cap allows was busy. */
        QUEUE
    }

    private final Reason reason;

    public HttpFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
