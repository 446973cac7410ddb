package io.nsqpush.testnsqd;

import java.nio.charset.StandardCharsets;

/**
 * One send of a message to a client (a redelivery is another DeliveredMessage with the same id).
 *
 * @param attempts    the attempts field of the frame: 1 for the first delivery
 * @param sentAtNanos {@link System#nanoTime()} when the frame was handed to the client's writer
 */
public record DeliveredMessage(String id, int attempts, byte[] body, ClientRecord client, long sentAtNanos) {

    public String bodyUtf8() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "DeliveredMessage[" + id + " attempts=" + attempts + " to client " + client.id() + "]";
    }
}
