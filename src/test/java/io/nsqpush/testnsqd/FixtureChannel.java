package io.nsqpush.testnsqd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A channel's messages, subscribers and counters. Plain data, guarded by the broker lock. */
final class FixtureChannel {

    final String topicName;
    final String name;
    final boolean ephemeral;
    /** Ready to be sent, in order. */
    final Deque<FixtureMessage> queue = new ArrayDeque<>();
    final Map<String, FixtureMessage> inFlight = new LinkedHashMap<>();
    final Map<String, FixtureMessage> deferred = new LinkedHashMap<>();
    final List<ClientRecord> clients = new ArrayList<>();
    final List<DeliveredMessage> deliveries = new ArrayList<>();
    long timeoutCount;
    long requeueCount;
    long finCount;
    boolean deleted;
    /** Round-robin start for the next delivery, so subscribers share the channel. */
    private int nextClient;

    FixtureChannel(String topicName, String name) {
        this.topicName = topicName;
        this.name = name;
        this.ephemeral = NsqNames.isEphemeral(name);
    }

    /** The next subscriber with RDY capacity, or null. */
    ClientRecord nextReadyClient() {
        int count = clients.size();
        for (int i = 0; i < count; i++) {
            ClientRecord client = clients.get((nextClient + i) % count);
            if (client.canReceive()) {
                nextClient = (nextClient + i + 1) % count;
                return client;
            }
        }
        return null;
    }

    /** nsqd's popInFlightMessage checks: the in-flight message if this client owns it, else nsqd's reason. */
    FixtureMessage ownedInFlight(ClientRecord client, String id) throws InFlightError {
        FixtureMessage message = inFlight.get(id);
        if (message == null) {
            throw new InFlightError("ID not in flight");
        }
        if (message.owner != client) {
            throw new InFlightError("client does not own message");
        }
        return message;
    }

    /** Takes a message out of flight (FIN, REQ, timeout, stop): its owner gets the RDY slot back. */
    void removeInFlight(FixtureMessage message) {
        inFlight.remove(message.id);
        message.cancelTimers();
        if (message.owner != null) {
            message.owner.inFlightDecrement();
            message.owner = null;
        }
    }

    /** Why FIN/REQ/TOUCH failed, in nsqd's words. */
    static final class InFlightError extends Exception {
        private static final long serialVersionUID = 1L;

        InFlightError(String message) {
            super(message, null, false, false);
        }
    }
}
