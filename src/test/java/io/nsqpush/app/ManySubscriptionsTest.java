package io.nsqpush.app;

import io.nsqpush.component.NsqComponent;
import io.nsqpush.component.NsqConsumer;
import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import org.apache.camel.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 200 subscriptions of one topic in one bridge, all to one host (CMQ's fan-out): they share their threads and their
 * timer, and while idle no timer of theirs fires at all (nsqd's heartbeats, answered NOP, are all that happens).
 */
class ManySubscriptionsTest {

    private static final int SUBSCRIPTIONS = 200;
    /** Threads the bridge may start whatever its subscriptions: Camel's, I/O, timers, management server. */
    private static final int BRIDGE_THREADS = 60;

    private TestNsqd nsqd;
    private TestEndpoint endpoint;
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoint, nsqd);
    }

    @Test
    void twoHundredSubscriptionsShareThreadsAndTimerNoneFiresWhileIdleAndABurstIsDeliveredWithNoFailedAttempt()
            throws Exception {
        nsqd = TestNsqd.start();
        endpoint = TestEndpoint.start();
        Set<String> threadsBefore = bridgeThreads();
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < SUBSCRIPTIONS; i++) {
            yaml.append("- templatedRoute:\n    routeTemplateRef: nsq-push\n    routeId: fan-").append(channel(i))
                    .append("\n    parameters:\n      - {name: topic, value: fan}\n      - {name: channel, value: ")
                    .append(channel(i)).append("}\n      - {name: url, value: \"").append(endpoint.url("/" + channel(i)))
                    .append("\"}\n");
        }
        bridge = Bridge.start(Map.of("nsq.nsqd-tcp-addresses", nsqd.address(), "push.url", endpoint.url("/push"),
                "status.interval", "0"), Map.of("many.yaml", yaml.toString()));

        List<NsqConsumer> consumers = bridge.context().getRoutes().stream().filter(r -> r.getId().startsWith("fan-"))
                .map(Route::getConsumer).map(NsqConsumer.class::cast).toList();
        assertEquals(SUBSCRIPTIONS, consumers.size());
        await().atMost(Duration.ofSeconds(15)).until(() -> fanClients().size() == SUBSCRIPTIONS
                && fanClients().stream().allMatch(c -> !c.commands("RDY").isEmpty())
                && consumers.stream().allMatch(NsqConsumer::isConnected));

        Set<String> started = bridgeThreads();
        started.removeAll(threadsBefore);
        assertTrue(started.size() < BRIDGE_THREADS, "threads of the bridge, whatever its subscriptions: " + started);
        assertTrue(started.stream().noneMatch(name -> name.contains("fan/")),
                "no thread of a subscription's own: " + started);

        NsqComponent nsq = bridge.context().getComponent("nsq", NsqComponent.class);
        assertIdle(consumers, nsq);

        // a burst: every subscription gets each message, one request each, none failed or retried
        int messages = 3;
        List<String> ids = IntStream.range(0, messages).mapToObj(i -> nsqd.publish("fan", "m" + i)).toList();
        await().atMost(Duration.ofSeconds(30)).until(() -> IntStream.range(0, SUBSCRIPTIONS)
                .allMatch(i -> nsqd.finCount("fan", channel(i)) == messages));
        List<Request> requests = endpoint.requests().stream().filter(r -> r.path().startsWith("/c")).toList();
        assertEquals(SUBSCRIPTIONS * messages, requests.size(), "one request per message and subscription");
        Map<String, Set<String>> idsByPath = new TreeMap<>();
        for (Request request : requests) {
            idsByPath.computeIfAbsent(request.path(), p -> new HashSet<>()).add(request.header("x-cmq-message-id"));
        }
        assertEquals(IntStream.range(0, SUBSCRIPTIONS).mapToObj(i -> "/" + channel(i)).collect(Collectors.toSet()),
                idsByPath.keySet());
        idsByPath.forEach((path, got) -> assertEquals(Set.copyOf(ids), got, path));
        for (int i = 0; i < SUBSCRIPTIONS; i++) {
            assertEquals(0, nsqd.requeueCount("fan", channel(i)), channel(i));
            assertEquals(0, nsqd.timeoutCount("fan", channel(i)), channel(i));
        }

        // the TOUCH sweeps armed by the burst disarm once nothing is in flight: idle again, nothing fires
        await().atMost(Duration.ofSeconds(20))
                .until(() -> consumers.stream().mapToInt(NsqConsumer::getTimersArmed).sum() == 0);
        assertIdle(consumers, nsq);
        assertEquals(0, nsqd.commands("TOUCH").size(), "nothing was slow enough to need a TOUCH");
    }

    /** For two seconds: no subscription has a timer armed and the shared timer runs no task. */
    private static void assertIdle(List<NsqConsumer> consumers, NsqComponent nsq) {
        long tasks = nsq.timerTasksRun();
        assertTrue(tasks >= 0, "the shared timer counts its tasks");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> nsq.timerTasksRun() == tasks
                && consumers.stream().mapToInt(NsqConsumer::getTimersArmed).sum() == 0);
    }

    private List<ClientRecord> fanClients() {
        return nsqd.connectedClients().stream().filter(c -> c.channel() != null && c.channel().startsWith("c"))
                .toList();
    }

    private static String channel(int i) {
        return String.format("c%03d", i);
    }

    /** Live threads but the test's own nsqd and endpoint. */
    private static Set<String> bridgeThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(t -> t.getName() + "#" + t.getId()).filter(n -> !n.startsWith("test-"))
                .collect(Collectors.toCollection(HashSet::new));
    }
}
