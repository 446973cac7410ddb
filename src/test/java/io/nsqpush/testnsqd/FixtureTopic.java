package io.nsqpush.testnsqd;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/** A topic: its channels, and the messages published before it had any (nsqd keeps those for the first channel). */
final class FixtureTopic {

    final String name;
    final boolean ephemeral;
    final Map<String, FixtureChannel> channels = new LinkedHashMap<>();
    final Deque<FixtureMessage> waitingForChannel = new ArrayDeque<>();
    /** nsqd numbers each topic's messages on its own. */
    final MessageIds ids;

    FixtureTopic(String name, MessageIds ids) {
        this.name = name;
        this.ids = ids;
        this.ephemeral = NsqNames.isEphemeral(name);
    }
}
