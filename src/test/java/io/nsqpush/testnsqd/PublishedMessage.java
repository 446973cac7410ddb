package io.nsqpush.testnsqd;

import java.nio.charset.StandardCharsets;

/**
 * A message a client published with PUB, MPUB or DPUB.
 *
 * @param command         "PUB", "MPUB" or "DPUB"
 * @param deferMs         DPUB's defer time; 0 otherwise
 * @param receivedAtNanos {@link System#nanoTime()} when the command line had been read
 */
public record PublishedMessage(String id, String topic, byte[] body, long deferMs, long receivedAtNanos,
                               ClientRecord client, String command) {

    public String bodyUtf8() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "PublishedMessage[" + id + " " + command + " " + topic + " " + body.length + " bytes from client "
                + client.id() + "]";
    }
}
