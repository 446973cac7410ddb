package io.nsqpush.app;

import io.nsqpush.testsupport.RealNsqd;
import io.nsqpush.testsupport.RealNsqd.ChannelStats;
import io.nsqpush.testsupport.TestEndpoint;
import io.nsqpush.testsupport.TestEndpoint.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged jar, started as users start it, against NSQ's own nsqd (one for the class, a topic per test): the seed's
 * nsq_to_http command line side by side with the real nsq_to_http, and SIGTERM or kill -9 mid-stream with nothing
 * lost, counted by nsqd.
 */
class RealNsqdJarIT {

    private static final AtomicLong TOPICS = new AtomicLong();
    private static RealNsqd nsqd;

    private final List<Process> processes = new ArrayList<>();
    private TestEndpoint endpoint;

    /** One nsqd for the class where it is installed; each test skips (or fails, when required) without it. */
    @BeforeAll
    static void startNsqd() throws Exception {
        if (RealNsqd.binary("nsqd").isPresent()) {
            nsqd = RealNsqd.start();
        }
    }

    @BeforeEach
    void nsqdIsInstalled() {
        RealNsqd.assumeInstalled("nsqd");
    }

    @AfterAll
    static void stopNsqd() {
        if (nsqd != null) {
            nsqd.close();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }

    private Process jar(Path log, List<String> properties, List<String> flags) throws Exception {
        Process jar = NsqPushJarIT.launchIn(new File("."), log, properties, flags, Map.of());
        processes.add(jar);
        return jar;
    }

    private static String topic() {
        return "jar-" + TOPICS.incrementAndGet();
    }

    private static ChannelStats channel(String topic, String channel) {
        return nsqd.channel(topic, channel).orElseThrow(() -> new AssertionError("no channel " + channel));
    }

    private static void awaitSubscribed(String topic, String channel) {
        await().atMost(Duration.ofSeconds(60)).until(() -> nsqd.channel(topic, channel)
                .map(c -> c.clients().size() == 1 && c.clients().get(0).readyCount() > 0).orElse(false));
    }

    private static void stopGracefully(Process process, Path log) throws Exception {
        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
        assertEquals(0, process.exitValue(), Files.readString(log));
    }

    @Test
    void theSeedsNsqToHttpCommandLineOnTheJarPostsWhatTheRealNsqToHttpPosts() throws Exception {
        String topic = topic();
        nsqd.createChannel(topic, "ch");
        nsqd.createChannel(topic, "go");
        endpoint = TestEndpoint.start();
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        // the seed's command line, with this test's addresses
        Process bridge = jar(log, List.of("-Dcamel.management.enabled=false", "-Droutes.reload-enabled=false"),
                List.of("--channel=ch", "--topic=" + topic, "--post=" + endpoint.url("/coupon/test"),
                        "--nsqd-tcp-address=" + nsqd.tcpAddress(),
                        "--content-type=application/x-www-form-urlencoded"));
        Path goLog = Files.createTempFile(RealNsqd.LOGS, "nsq_to_http-", ".log");
        Process real = new ProcessBuilder(RealNsqd.assumeInstalled("nsq_to_http").toString(), "--channel=go",
                "--topic=" + topic, "--post=" + endpoint.url("/coupon/test"), "--nsqd-tcp-address="
                + nsqd.tcpAddress(), "--content-type=application/x-www-form-urlencoded").redirectErrorStream(true)
                .redirectOutput(goLog.toFile()).start();
        processes.add(real);
        awaitSubscribed(topic, "ch");
        awaitSubscribed(topic, "go");
        List<String> bodies = List.of("coupon=42&user=7", "coupon=43&user=%E4%BD%A0", "a=1\nb=2");
        bodies.forEach(b -> nsqd.publish(topic, b));

        await().atMost(Duration.ofSeconds(30)).until(() -> channel(topic, "ch").finishCount() == 3
                && channel(topic, "go").finishCount() == 3);
        assertEquals(6, endpoint.requests().size());
        Map<String, List<Request>> byAgent = new HashMap<>();
        for (Request request : endpoint.requests()) {
            String agent = request.header("user-agent").startsWith("nsq-push/") ? "nsq-push" : "nsq_to_http";
            byAgent.computeIfAbsent(agent, a -> new ArrayList<>()).add(request);
        }
        assertEquals(3, byAgent.get("nsq-push").size(), byAgent.toString());
        assertEquals(3, byAgent.get("nsq_to_http").size(), byAgent.toString());
        for (String body : bodies) {
            Request ours = byAgent.get("nsq-push").stream().filter(r -> r.bodyUtf8().equals(body)).findFirst()
                    .orElseThrow(() -> new AssertionError("nsq-push never posted " + body));
            Request theirs = byAgent.get("nsq_to_http").stream().filter(r -> r.bodyUtf8().equals(body)).findFirst()
                    .orElseThrow(() -> new AssertionError("nsq_to_http never posted " + body));
            assertEquals(theirs.method(), ours.method());
            assertEquals(theirs.path(), ours.path());
            assertArrayEquals(theirs.body(), ours.body());
            assertEquals(theirs.header("content-type"), ours.header("content-type"));
        }
        assertEquals(0, channel(topic, "ch").requeueCount());
        stopGracefully(bridge, log);
    }

    private List<String> publish(String topic, int count) {
        List<String> bodies = IntStream.range(0, count).mapToObj(i -> "message " + i).toList();
        nsqd.publishAll(topic, bodies);
        return bodies;
    }

    /** @return how often the endpoint received each body (SIMPLIFIED: the body is the message) */
    private Map<String, Long> deliveries() {
        Map<String, Long> counts = new HashMap<>();
        endpoint.requests().forEach(r -> counts.merge(r.bodyUtf8(), 1L, Long::sum));
        return counts;
    }

    @Test
    void sigtermMidStreamThenRestartDeliversEveryMessageExactlyOnceAsNsqdCountsIt() throws Exception {
        String topic = topic();
        nsqd.createChannel(topic, "nsq-push");
        endpoint = TestEndpoint.start().delay(50);
        List<String> properties = List.of("-Dnsq.topic=" + topic, "-Dnsq.nsqd-tcp-addresses=" + nsqd.tcpAddress(),
                "-Dpush.url=" + endpoint.url("/in"), "-Dpush.format=SIMPLIFIED", "-Dnsq.max-in-flight=20",
                "-Droutes.reload-enabled=false", "-Dcamel.management.enabled=false");
        List<String> bodies = publish(topic, 300);
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        Process first = jar(log, properties, List.of());
        await().atMost(Duration.ofSeconds(60)).until(() -> endpoint.requests().size() >= 40);
        stopGracefully(first, log); // SIGTERM while deliveries are in flight: they finish, FIN, then it exits
        long finishedBeforeStop = nsqd.messageCount(topic) - channel(topic, "nsq-push").depth();
        assertTrue(endpoint.requests().size() < bodies.size(), "stopped mid-stream");
        assertEquals(0, channel(topic, "nsq-push").inFlightCount(), "nothing left in flight at nsqd: "
                + channel(topic, "nsq-push"));
        assertEquals(0, channel(topic, "nsq-push").timeoutCount());
        assertTrue(finishedBeforeStop > 0);

        Path secondLog = Files.createTempFile("nsq-push-jar", ".log");
        Process second = jar(secondLog, properties, List.of());
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ChannelStats c = channel(topic, "nsq-push");
            return c.depth() == 0 && c.inFlightCount() == 0 && c.finishCount() == bodies.size() - finishedBeforeStop;
        });
        stopGracefully(second, secondLog);
        ChannelStats channel = channel(topic, "nsq-push");
        Map<String, Long> deliveries = deliveries();
        assertEquals(new HashSet<>(bodies), deliveries.keySet());
        assertTrue(deliveries.values().stream().allMatch(n -> n == 1), "each exactly once: " + deliveries
                + "; nsqd: " + channel + "; the first bridge's log: " + Files.readString(log));
        assertEquals(0, channel.timeoutCount(), "nothing timed out at nsqd");
        // what nsqd had sent but the stopping bridge never started is REQed at once (never POSTed, so no duplicate)
        assertTrue(channel.requeueCount() <= 20, "requeued more than max-in-flight: " + channel);
    }

    @Test
    void killMinus9MidStreamThenRestartLosesNothingAndNsqdRedeliversWhatWasInFlight() throws Exception {
        String topic = topic();
        nsqd.createChannel(topic, "nsq-push");
        endpoint = TestEndpoint.start().delay(20);
        int maxInFlight = 30;
        // a short msg timeout: what the killed bridge held comes back from nsqd within seconds (once nsqd notices the
        // closed connection it requeues at once anyway)
        List<String> properties = List.of("-Dnsq.topic=" + topic, "-Dnsq.nsqd-tcp-addresses=" + nsqd.tcpAddress(),
                "-Dpush.url=" + endpoint.url("/in"), "-Dpush.format=SIMPLIFIED", "-Dnsq.max-in-flight=" + maxInFlight,
                "-Dnsq.msg-timeout=2s", "-Droutes.reload-enabled=false", "-Dcamel.management.enabled=false");
        List<String> bodies = publish(topic, 300);
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        Process first = jar(log, properties, List.of());
        await().atMost(Duration.ofSeconds(60)).until(() -> endpoint.requests().size() >= 60);
        first.destroyForcibly(); // kill -9: no FIN, no REQ, no CLS
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, first.exitValue());
        int beforeKill = endpoint.requests().size();
        int distinctBeforeKill = deliveries().size();
        ChannelStats atKill = channel(topic, "nsq-push");

        Path secondLog = Files.createTempFile("nsq-push-jar", ".log");
        Process second = jar(secondLog, properties, List.of());
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ChannelStats c = channel(topic, "nsq-push");
            return c.depth() == 0 && c.inFlightCount() == 0 && c.deferredCount() == 0
                    && deliveries().keySet().containsAll(bodies);
        });
        stopGracefully(second, secondLog);
        Map<String, Long> deliveries = deliveries();
        assertEquals(new HashSet<>(bodies), deliveries.keySet(), "nothing lost");
        long duplicates = endpoint.requests().size() - bodies.size();
        // each duplicate is a message the killed bridge held (at most max-in-flight), or one nsqd timed out and sent
        // again before the kill (a starved machine can stall the JVM past the msg timeout: nsqd counts those)
        assertTrue(duplicates <= maxInFlight + atKill.timeoutCount(), duplicates + " duplicates, more than were in"
                + " flight or timed out; before the kill "
                + beforeKill + " requests of " + distinctBeforeKill + " messages, nsqd then: " + atKill + "; now: "
                + channel(topic, "nsq-push"));
        assertEquals(0, nsqd.messageCount(topic + ".dead-letter"), "no dead letter");
    }
}
