package io.nsqpush.testnsqd;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One command as a client sent it: the line's words and the body read after it.
 *
 * @param name            the first word of the line, e.g. "FIN"
 * @param args            the other words of the line
 * @param body            the body of IDENTIFY, AUTH, PUB or DPUB (as far as it was read); null for other commands
 *                        and for MPUB. AUTH's is the secret as sent, for assertions; {@link #toString()} hides it
 * @param bodies          MPUB's message bodies; a single-element list for IDENTIFY, AUTH, PUB and DPUB; empty otherwise
 * @param receivedAtNanos {@link System#nanoTime()} when the command line had been read
 * @param clientId        {@link ClientRecord#id()} of the sender
 */
public record Command(String name, List<String> args, byte[] body, List<byte[]> bodies, long receivedAtNanos,
                      int clientId) {

    public Command {
        args = List.copyOf(args);
        bodies = List.copyOf(bodies);
    }

    /** The i-th argument (0 = first after the name), or null if there is none. */
    public String arg(int index) {
        return index < args.size() ? args.get(index) : null;
    }

    public String bodyUtf8() {
        return body == null ? null : new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(name);
        args.forEach(arg -> text.append(' ').append(arg));
        if (name.equals("AUTH") && body != null) {
            text.append(" [secret hidden]"); // toString ends up in test reports and logs
        } else if (body != null) {
            text.append(" [").append(body.length).append(" bytes]");
        } else if (!bodies.isEmpty()) {
            text.append(" [").append(bodies.size()).append(" bodies]");
        }
        return text.append(" (client ").append(clientId).append(')').toString();
    }
}
