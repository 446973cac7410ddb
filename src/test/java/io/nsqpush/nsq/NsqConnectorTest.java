package io.nsqpush.nsq;

import io.netty.channel.nio.NioEventLoopGroup;
import io.nsqpush.testnsqd.TestNsqd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host names are resolved off the event loop: a slow DNS answer for one nsqd stalls no other connection. */
class NsqConnectorTest {

    private static final NsqClientOptions OPTIONS = new NsqClientOptions("c", "h", "ua", 30_000, 60_000, 2_000,
            1 << 20, true);
    /** A connection's events, of no interest to the test. */
    private static final NsqConnectionListener IGNORED = new NsqConnectionListener() {
        @Override
        public void onMessage(NsqConnection c, NsqMessage message) {
        }

        @Override
        public void onClose(NsqConnection c, Throwable cause) {
        }
    };

    private final NioEventLoopGroup oneLoop = new NioEventLoopGroup(1);
    private final ExecutorService dns = Executors.newCachedThreadPool();
    private final CountDownLatch dnsAnswers = new CountDownLatch(1);

    @AfterEach
    void stop() {
        dnsAnswers.countDown();
        dns.shutdownNow();
        oneLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void aSlowDnsAnswerForOneNsqdStallsNothingOnTheSameEventLoop() throws Exception {
        NsqConnector connector = new NsqConnector(oneLoop, dns, address -> {
            if (address.host().equals("slow.example")) {
                // a DNS server that takes its time: on the event loop this would stop every connection on it
                try {
                    dnsAnswers.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new UnknownHostException(address.host());
            }
            return new InetSocketAddress(InetAddress.getByName(address.host()), address.port());
        });
        try (TestNsqd nsqd = TestNsqd.start()) {
            CompletableFuture<NsqMessage> received = new CompletableFuture<>();
            NsqConnection fast = connector.connect(NsqAddress.parse(nsqd.address()), OPTIONS,
                    new NsqConnectionListener() {
                        @Override
                        public void onMessage(NsqConnection c, NsqMessage message) {
                            received.complete(message);
                        }

                        @Override
                        public void onClose(NsqConnection c, Throwable cause) {
                        }
                    }).get(5, TimeUnit.SECONDS);
            fast.subscribe("t", "c").get(5, TimeUnit.SECONDS);
            fast.ready(1);

            CompletableFuture<NsqConnection> slow = connector.connect(new NsqAddress("slow.example", 4150), OPTIONS,
                    IGNORED);
            String id = nsqd.publish("t", "while DNS is slow");
            NsqMessage message = received.get(2, TimeUnit.SECONDS);
            assertTrue(message.finish());
            await().atMost(java.time.Duration.ofSeconds(2)).until(() -> nsqd.finCount("t", "c") == 1);
            assertEquals(id, message.id());
            assertFalse(slow.isDone(), "the slow name is still being resolved");

            dnsAnswers.countDown();
            Throwable failure = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> slow.get(5, TimeUnit.SECONDS)).getCause();
            assertEquals("cannot connect to nsqd slow.example:4150: unknown host slow.example", failure.getMessage());
        }
    }

    @Test
    void anAddressLiteralIsNotHandedToTheResolver() throws Exception {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        NsqConnector connector = new NsqConnector(oneLoop, dns, address -> {
            asked.incrementAndGet();
            throw new UnknownHostException(address.host());
        });
        try (TestNsqd nsqd = TestNsqd.start()) {
            NsqConnection connection = connector.connect(NsqAddress.parse(nsqd.address()), OPTIONS,
                    IGNORED).get(5, TimeUnit.SECONDS);
            connection.subscribe("t", "c").get(5, TimeUnit.SECONDS);
            assertEquals(0, asked.get(), nsqd.address() + " is an address already");
            // a name still goes to the resolver
            CompletableFuture<NsqConnection> named = connector.connect(new NsqAddress("nsqd.example", 4150), OPTIONS,
                    IGNORED);
            assertThrows(java.util.concurrent.ExecutionException.class, () -> named.get(5, TimeUnit.SECONDS));
            assertEquals(1, asked.get());
        }
    }
}
