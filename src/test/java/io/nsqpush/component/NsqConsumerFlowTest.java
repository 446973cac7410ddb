package io.nsqpush.component;

import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.Command;
import io.nsqpush.testnsqd.TestNsqd;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.ExceptionHandler;
import org.apache.camel.spi.ThreadPoolFactory;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.DefaultThreadPoolFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the consumer answers nsqd when exchanges go elsewhere, run long, or cannot even start. */
class NsqConsumerFlowTest extends NsqTestSupport {

    private NsqConsumer consumer(String routeId) {
        return (NsqConsumer) context.getRoute(routeId).getConsumer();
    }

    @Test
    void anExchangeHandedToSedaIsAnsweredOnceWhenItsCopyIsDone() throws Exception {
        TestNsqd nsqd = nsqd();
        CountDownLatch release = new CountDownLatch(1);
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:handover?channel=c&servers=" + nsqd.address()).routeId("handover").to("seda:later");
                from("seda:later").process(e -> assertTrue(release.await(10, TimeUnit.SECONDS)))
                        .process(NsqConsumerFlowTest.this::record)
                        .filter(body().contains("fail")).throwException(new IllegalStateException("failed later"));
            }
        });
        String ok = nsqd.publish("handover", "fine");
        String bad = nsqd.publish("handover", "fail");
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer("handover").getInFlight() == 2);
        // the original exchanges returned from the route long ago: nothing may be answered before their copies end
        assertEquals(0, nsqd.commands("FIN").size() + nsqd.commands("REQ").size());
        release.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> commands(nsqd, "FIN", ok).size() == 1
                && commands(nsqd, "REQ", bad).size() == 1);
        assertEquals(0, commands(nsqd, "REQ", ok).size(), "the copy succeeded: FIN only");
        assertEquals(0, commands(nsqd, "FIN", bad).size(), "the copy failed: REQ only");
        await().atMost(Duration.ofSeconds(5)).until(() -> consumer("handover").getInFlight() == 0);
        assertEquals(0, consumer("handover").getPossibleDuplicates());
    }

    @Test
    void autoTouchStopsAfterMaxProcessingTimeSoThatNsqdDeliversAStuckMessageAgain() throws Exception {
        TestNsqd nsqd = nsqd();
        CountDownLatch release = new CountDownLatch(1);
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:stuck?channel=c&msgTimeout=1s&maxProcessingTime=1500ms&threads=2&servers="
                        + nsqd.address()).routeId("stuck").process(NsqConsumerFlowTest.this::record)
                        .process(e -> assertTrue(release.await(20, TimeUnit.SECONDS)));
            }
        });
        String id = nsqd.publish("stuck", "x");

        try {
            // TOUCHed while it may run (at 0.5 s, 1 s), then left alone: nsqd times it out at about 2.5 s
            await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.timeoutCount("stuck", "c") == 1);
            List<Command> touches = commands(nsqd, "TOUCH", id);
            assertTrue(touches.size() >= 1 && touches.size() <= 3, touches.toString());
            // the 1.5 s run from when the route started on it (its first step), not from nsqd's send
            long started = receivedFor(id).get(0).atNanos();
            long lastTouchMs = TimeUnit.NANOSECONDS.toMillis(touches.get(touches.size() - 1).receivedAtNanos()
                    - started);
            assertTrue(lastTouchMs <= 1_700, "no TOUCH after the 1.5 s limit, the last came after " + lastTouchMs
                    + " ms");
        } finally {
            release.countDown();
        }
    }

    @Test
    void withMoreNsqdThanMaxInFlightTheWindowRotatesAndItsSumNeverExceedsIt() throws Exception {
        List<TestNsqd> nodes = List.of(nsqd(), nsqd(), nsqd());
        String servers = String.join(",", nodes.stream().map(TestNsqd::address).toList());
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("nsq:spread?channel=c&maxInFlight=2&servers=" + servers).routeId("spread")
                        .process(NsqConsumerFlowTest.this::record);
            }
        });
        List<String> ids = new ArrayList<>();
        for (TestNsqd node : nodes) {
            for (int i = 0; i < 3; i++) {
                ids.add(node.publish("spread", "m" + i));
            }
        }
        // every nsqd gets its turn: one holds no window at first, the next redistribution (5 s) moves it
        await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream().allMatch(id -> !receivedFor(id).isEmpty()));

        List<Map.Entry<Integer, Command>> rdys = new ArrayList<>();
        for (int n = 0; n < nodes.size(); n++) {
            for (ClientRecord client : nodes.get(n).clients()) {
                for (Command rdy : client.commands("RDY")) {
                    rdys.add(Map.entry(n, rdy));
                }
            }
        }
        rdys.sort(Comparator.comparingLong(e -> e.getValue().receivedAtNanos()));
        Map<Integer, Integer> window = new HashMap<>();
        for (Map.Entry<Integer, Command> rdy : rdys) {
            window.put(rdy.getKey(), Integer.parseInt(rdy.getValue().arg(0)));
            int total = window.values().stream().mapToInt(Integer::intValue).sum();
            assertTrue(total <= 2, "RDY windows " + window + " exceed maxInFlight 2");
        }
    }

    @Test
    void anErrorFromTheWorkerPoolRequeuesTheMessageAndReachesTheExceptionHandler() throws Exception {
        TestNsqd nsqd = nsqd();
        List<Throwable> handled = new CopyOnWriteArrayList<>();
        AtomicBoolean failOnce = new AtomicBoolean(true);
        start(new RouteBuilder() {
            @Override
            public void configure() {
                getContext().getRegistry().bind("handler", (ExceptionHandler) new ExceptionHandler() {
                    @Override
                    public void handleException(Throwable exception) {
                        handled.add(exception);
                    }

                    @Override
                    public void handleException(String message, Throwable exception) {
                        handled.add(exception);
                    }

                    @Override
                    public void handleException(String message, org.apache.camel.Exchange exchange,
                                                Throwable exception) {
                        handled.add(exception);
                    }
                });
                getContext().getExecutorServiceManager().setThreadPoolFactory(failingOnce(failOnce));
                from("nsq:errors?channel=c&threads=2&exceptionHandler=#handler&servers=" + nsqd.address())
                        .routeId("errors").process(NsqConsumerFlowTest.this::record);
            }
        });
        String id = nsqd.publish("errors", "x");

        // the Error is caught on the event loop: the message goes back at once and comes again, the link stays
        await().atMost(Duration.ofSeconds(10)).until(() -> commands(nsqd, "FIN", id).size() == 1);
        assertEquals(1, commands(nsqd, "REQ", id).size());
        assertEquals(List.of(2), receivedFor(id).stream().map(Received::attempts).toList());
        assertEquals(1, handled.size());
        assertTrue(handled.get(0) instanceof OutOfMemoryError, handled.toString());
        assertEquals(1, nsqd.clients().size(), "no reconnect: the connection was never disturbed");
    }

    /** A thread pool whose first execute throws an Error, as a JVM out of native threads does. */
    private static ThreadPoolFactory failingOnce(AtomicBoolean failOnce) {
        return new DefaultThreadPoolFactory() {
            @Override
            public ExecutorService newThreadPool(ThreadPoolProfile profile, ThreadFactory factory) {
                ExecutorService pool = super.newThreadPool(profile, factory);
                if (!(pool instanceof ThreadPoolExecutor executor) || !profile.getId().equals("NsqConsumer")) {
                    return pool;
                }
                return new java.util.concurrent.AbstractExecutorService() {
                    @Override
                    public void execute(Runnable command) {
                        if (failOnce.getAndSet(false)) {
                            throw new OutOfMemoryError("unable to create native thread (test)");
                        }
                        executor.execute(command);
                    }

                    @Override
                    public void shutdown() {
                        executor.shutdown();
                    }

                    @Override
                    public List<Runnable> shutdownNow() {
                        return executor.shutdownNow();
                    }

                    @Override
                    public boolean isShutdown() {
                        return executor.isShutdown();
                    }

                    @Override
                    public boolean isTerminated() {
                        return executor.isTerminated();
                    }

                    @Override
                    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
                        return executor.awaitTermination(timeout, unit);
                    }
                };
            }
        };
    }
}
