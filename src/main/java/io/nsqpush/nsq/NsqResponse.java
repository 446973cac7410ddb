package io.nsqpush.nsq;

import java.nio.charset.StandardCharsets;

/** A response frame (type 0): {@code OK}, {@code _heartbeat_}, {@code CLOSE_WAIT} or a JSON document. */
record NsqResponse(byte[] data) {

    static final String HEARTBEAT = "_heartbeat_";

    boolean isHeartbeat() {
        return data.length == HEARTBEAT.length() && HEARTBEAT.equals(text());
    }

    String text() {
        return new String(data, StandardCharsets.UTF_8);
    }
}
