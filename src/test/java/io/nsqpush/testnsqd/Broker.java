package io.nsqpush.testnsqd;

import java.net.Socket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Topics, channels, messages and clients behind one lock. Every state change that can make a message deliverable
 * ends with {@link #pump(FixtureChannel)}, which hands frames to the clients' writers (never blocking on a socket
 * under the lock). Timers (message timeouts, deferred messages) re-take the lock and re-check that the message is
 * still where the timer expects it, so a stale timer is harmless.
 */
final class Broker {

    private final Object lock = new Object();
    private final TestNsqd.Options options;
    private final ScheduledExecutorService timer;
    private final Map<String, FixtureTopic> topics = new LinkedHashMap<>();
    private final List<ClientRecord> clients = new ArrayList<>();
    private final List<Command> commands = new ArrayList<>();
    private final List<PublishedMessage> published = new ArrayList<>();
    private int lastClientId;

    Broker(TestNsqd.Options options, ScheduledExecutorService timer) {
        this.options = options;
        this.timer = timer;
    }

    TestNsqd.Options options() {
        return options;
    }

    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            return timer.schedule(task, Math.max(0, delay), unit);
        } catch (RejectedExecutionException closed) {
            return null; // the fixture was closed: nothing will ever fire again anyway
        }
    }

    ScheduledFuture<?> scheduleAtFixedRate(Runnable task, long periodMs) {
        try {
            return timer.scheduleAtFixedRate(task, periodMs, periodMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            return null;
        }
    }

    // ---------------------------------------------------------------- clients and their records

    ClientRecord register(Socket socket) {
        synchronized (lock) {
            ClientRecord client = new ClientRecord(++lastClientId, socket, this);
            clients.add(client);
            return client;
        }
    }

    List<ClientRecord> clients() {
        synchronized (lock) {
            return List.copyOf(clients);
        }
    }

    void record(ClientRecord client, Command command) {
        synchronized (lock) {
            client.addCommand(command);
            commands.add(command);
        }
    }

    List<Command> commands(String name) {
        synchronized (lock) {
            return commands.stream().filter(c -> c.name().equals(name)).toList();
        }
    }

    List<PublishedMessage> published(String topic) {
        synchronized (lock) {
            return published.stream().filter(p -> p.topic().equals(topic)).toList();
        }
    }

    /** The client's connection is gone (or going): it gets no more messages; its in-flight ones time out as in nsqd. */
    void clientGone(ClientRecord client) {
        synchronized (lock) {
            client.markDisconnected();
            FixtureChannel channel = client.fixtureChannel();
            if (channel != null && channel.clients.remove(client) && channel.ephemeral && channel.clients.isEmpty()) {
                deleteChannel(channel);
            }
        }
    }

    // ---------------------------------------------------------------- publishing

    String publish(String topicName, byte[] body, long deferMs, Command origin) {
        return publish(topicName, List.of(body), deferMs, origin).get(0);
    }

    /** PUB, MPUB, DPUB or the test API (origin null): copies each message to every channel, as nsqd's topic pump. */
    List<String> publish(String topicName, List<byte[]> bodies, long deferMs, Command origin) {
        synchronized (lock) {
            FixtureTopic topic = topic(topicName);
            List<String> ids = new ArrayList<>();
            for (byte[] body : bodies) {
                FixtureMessage message = new FixtureMessage(topic.ids.next(), body.clone(), nowEpochNanos(), deferMs);
                ids.add(message.id);
                if (origin != null) {
                    published.add(new PublishedMessage(message.id, topicName, message.body, deferMs,
                            origin.receivedAtNanos(), client(origin.clientId()), origin.name()));
                }
                if (topic.channels.isEmpty()) {
                    topic.waitingForChannel.addLast(message);
                } else {
                    topic.channels.values().forEach(c -> enqueue(c, message.copyForChannel(), deferMs));
                }
            }
            topic.channels.values().forEach(this::pump);
            return ids;
        }
    }

    private ClientRecord client(int id) {
        return clients.get(id - 1);
    }

    private void enqueue(FixtureChannel channel, FixtureMessage message, long deferMs) {
        if (deferMs > 0) {
            defer(channel, message, deferMs);
        } else {
            channel.queue.addLast(message);
        }
    }

    private void defer(FixtureChannel channel, FixtureMessage message, long delayMs) {
        channel.deferred.put(message.id, message);
        message.deferTask = schedule(() -> deferredDue(channel, message), delayMs, TimeUnit.MILLISECONDS);
    }

    private void deferredDue(FixtureChannel channel, FixtureMessage message) {
        synchronized (lock) {
            if (channel.deleted || channel.deferred.get(message.id) != message) {
                return;
            }
            channel.deferred.remove(message.id);
            message.deferTask = null;
            channel.queue.addLast(message);
            pump(channel);
        }
    }

    /** A test's fast-forward: every deferred message of the channel is due now, as if its delay had passed. */
    int deliverDeferredNow(String topicName, String channelName) {
        synchronized (lock) {
            FixtureTopic topic = topics.get(topicName);
            FixtureChannel channel = topic == null ? null : topic.channels.get(channelName);
            if (channel == null) {
                return 0;
            }
            List<FixtureMessage> due = List.copyOf(channel.deferred.values());
            for (FixtureMessage message : due) {
                message.cancelTimers();
                channel.deferred.remove(message.id);
                channel.queue.addLast(message);
            }
            pump(channel);
            return due.size();
        }
    }

    // ---------------------------------------------------------------- consuming

    void subscribe(ClientRecord client, String topicName, String channelName) {
        synchronized (lock) {
            FixtureTopic topic = topic(topicName);
            FixtureChannel channel = topic.channels.get(channelName);
            if (channel == null) {
                channel = new FixtureChannel(topicName, channelName);
                topic.channels.put(channelName, channel);
                // nsqd's topic pump starts once a channel exists: what waited goes to this first channel
                while (!topic.waitingForChannel.isEmpty()) {
                    FixtureMessage waiting = topic.waitingForChannel.pollFirst();
                    enqueue(channel, waiting.copyForChannel(), waiting.deferMs);
                }
            }
            channel.clients.add(client);
            client.subscribed(channel);
        }
    }

    void setReady(ClientRecord client, int count) {
        synchronized (lock) {
            client.setRdy(count);
            pumpFor(client);
        }
    }

    /** CLS: RDY 0 and no new messages; in-flight ones may still be FINed or REQed. */
    void startClose(ClientRecord client) {
        synchronized (lock) {
            client.startClose();
        }
    }

    void finish(ClientRecord client, String id) throws FixtureChannel.InFlightError {
        synchronized (lock) {
            FixtureChannel channel = client.fixtureChannel();
            FixtureMessage message = channel.ownedInFlight(client, id);
            channel.removeInFlight(message);
            channel.finCount++;
            pump(channel);
        }
    }

    void requeue(ClientRecord client, String id, long delayMs) throws FixtureChannel.InFlightError {
        synchronized (lock) {
            FixtureChannel channel = client.fixtureChannel();
            FixtureMessage message = channel.ownedInFlight(client, id);
            channel.removeInFlight(message);
            channel.requeueCount++;
            enqueue(channel, message, delayMs);
            pump(channel);
        }
    }

    /** Timeout = now + the client's msg_timeout, but never past delivery + max_msg_timeout (nsqd's TouchMessage). */
    void touch(ClientRecord client, String id) throws FixtureChannel.InFlightError {
        synchronized (lock) {
            FixtureChannel channel = client.fixtureChannel();
            FixtureMessage message = channel.ownedInFlight(client, id);
            long newTimeout = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(client.msgTimeoutMs());
            long latest = message.deliveredAtNanos + TimeUnit.MILLISECONDS.toNanos(options.maxMsgTimeoutMs());
            message.timeoutAtNanos = Math.min(newTimeout, latest);
            if (message.timeoutTask != null) {
                message.timeoutTask.cancel(false);
            }
            scheduleTimeout(channel, message);
        }
    }

    private void pumpFor(ClientRecord client) {
        FixtureChannel channel = client.fixtureChannel();
        if (channel != null) {
            pump(channel);
        }
    }

    /** Sends queued messages to subscribers with RDY capacity, round robin. Caller holds the lock. */
    private void pump(FixtureChannel channel) {
        while (!channel.queue.isEmpty() && !channel.deleted) {
            ClientRecord client = channel.nextReadyClient();
            if (client == null) {
                return;
            }
            deliver(channel, channel.queue.pollFirst(), client);
        }
    }

    private void deliver(FixtureChannel channel, FixtureMessage message, ClientRecord client) {
        long now = System.nanoTime();
        message.attempts++; // nsqd counts a delivery when it sends, so the first one says 1
        message.owner = client;
        message.deliveredAtNanos = now;
        message.timeoutAtNanos = now + TimeUnit.MILLISECONDS.toNanos(client.msgTimeoutMs());
        channel.inFlight.put(message.id, message);
        client.inFlightIncrement();
        scheduleTimeout(channel, message);
        channel.deliveries.add(new DeliveredMessage(message.id, message.attempts, message.body, client, now));
        client.writer().send(TestNsqd.FRAME_MESSAGE, message.frameData());
    }

    private void scheduleTimeout(FixtureChannel channel, FixtureMessage message) {
        message.timeoutTask = schedule(() -> timedOut(channel, message),
                message.timeoutAtNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void timedOut(FixtureChannel channel, FixtureMessage message) {
        synchronized (lock) {
            if (channel.deleted || channel.inFlight.get(message.id) != message
                    || message.timeoutAtNanos > System.nanoTime()) {
                return; // finished, requeued or touched meanwhile
            }
            message.timeoutTask = null;
            channel.removeInFlight(message);
            channel.timeoutCount++;
            channel.queue.addLast(message);
            pump(channel);
        }
    }

    // ---------------------------------------------------------------- stop / restart

    /**
     * What nsqd's clean exit persists comes back on restart: in-flight and deferred messages are queued again (after
     * the already queued ones, in nsqd's flush order). Ephemeral topics and channels are not persisted by nsqd.
     */
    void persistForRestart() {
        synchronized (lock) {
            for (Iterator<FixtureTopic> topicIt = topics.values().iterator(); topicIt.hasNext(); ) {
                FixtureTopic topic = topicIt.next();
                for (FixtureChannel channel : List.copyOf(topic.channels.values())) {
                    if (topic.ephemeral || channel.ephemeral) {
                        deleteChannel(channel);
                        continue;
                    }
                    for (FixtureMessage message : List.copyOf(channel.inFlight.values())) {
                        channel.removeInFlight(message);
                        channel.queue.addLast(message);
                    }
                    for (FixtureMessage message : List.copyOf(channel.deferred.values())) {
                        message.cancelTimers();
                        channel.queue.addLast(message);
                    }
                    channel.deferred.clear();
                }
                if (topic.ephemeral) {
                    topicIt.remove();
                }
            }
        }
    }

    /** nsqd deletes an ephemeral channel when its last client leaves, with its messages. Caller holds the lock. */
    private void deleteChannel(FixtureChannel channel) {
        channel.deleted = true;
        List.copyOf(channel.inFlight.values()).forEach(channel::removeInFlight);
        channel.deferred.values().forEach(FixtureMessage::cancelTimers);
        channel.deferred.clear();
        channel.queue.clear();
        FixtureTopic topic = topics.get(channel.topicName);
        if (topic != null && topic.channels.get(channel.name) == channel) {
            topic.channels.remove(channel.name);
            if (topic.ephemeral && topic.channels.isEmpty()) {
                topics.remove(topic.name);
            }
        }
    }

    // ---------------------------------------------------------------- stats

    <T> T channelStat(String topicName, String channelName, Function<FixtureChannel, T> stat, T ifAbsent) {
        synchronized (lock) {
            FixtureTopic topic = topics.get(topicName);
            FixtureChannel channel = topic == null ? null : topic.channels.get(channelName);
            return channel == null ? ifAbsent : stat.apply(channel);
        }
    }

    int topicDepth(String topicName) {
        synchronized (lock) {
            FixtureTopic topic = topics.get(topicName);
            return topic == null ? 0 : topic.waitingForChannel.size();
        }
    }

    List<String> topicNames() {
        synchronized (lock) {
            return List.copyOf(topics.keySet());
        }
    }

    List<String> channelNames(String topicName) {
        synchronized (lock) {
            FixtureTopic topic = topics.get(topicName);
            return topic == null ? List.of() : List.copyOf(topic.channels.keySet());
        }
    }

    // ---------------------------------------------------------------- helpers

    private FixtureTopic topic(String name) {
        return topics.computeIfAbsent(name, n -> new FixtureTopic(n, new MessageIds(options.nodeId(),
                options.idClock())));
    }

    private static long nowEpochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
