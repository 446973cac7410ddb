package io.nsqpush.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nsqpush.push.WebhookSigner;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Closing;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nsq_to_http's command line runs the bridge as nsq_to_http would, with several endpoints and signed requests. */
class NsqToHttpDropInTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final List<TestEndpoint> endpoints = new ArrayList<>();
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, endpoints, nsqd);
    }

    private TestEndpoint endpoint() throws Exception {
        TestEndpoint endpoint = TestEndpoint.start();
        endpoints.add(endpoint);
        return endpoint;
    }

    private void awaitSubscribed(String channel) {
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.connectedClients().stream()
                .anyMatch(c -> channel.equals(c.channel()) && c.rdy() > 0));
    }

    @Test
    void theSeedsCommandLineDeliversTheRawBodyWithItsContentType() throws Exception {
        TestEndpoint endpoint = endpoint();
        bridge = Bridge.withFlags("--channel=ch", "--topic=test", "--post=" + endpoint.url("/coupon/test"),
                "--nsqd-tcp-address=" + nsqd.address(), "--content-type=application/x-www-form-urlencoded");
        awaitSubscribed("ch");
        String id = nsqd.publish("test", "coupon=42&user=7");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("test", "ch") == 1);
        TestEndpoint.Request request = endpoint.requestsFor(id).get(0);
        assertEquals("POST", request.method());
        assertEquals("/coupon/test", request.path());
        assertEquals("coupon=42&user=7", request.bodyUtf8(), "the body as published, like nsq_to_http");
        assertEquals("application/x-www-form-urlencoded", request.header("content-type"));
        assertEquals(1, endpoint.requests().size());
    }

    @Test
    void userInfoInThePostUrlIsSentAsBasicAuthenticationAsNsqToHttpDoes() throws Exception {
        TestEndpoint endpoint = endpoint();
        bridge = Bridge.withFlags("--topic=test", "--post=" + endpoint.url("/in").replace("http://",
                "http://hook:s3cret@"), "--nsqd-tcp-address=" + nsqd.address());
        awaitSubscribed("nsq_to_http");
        String id = nsqd.publish("test", "with credentials");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("test", "nsq_to_http") == 1);
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("hook:s3cret".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), endpoint.requestsFor(id).get(0).header("authorization"));
    }

    @Test
    void getPutsTheEscapedBodyWhereTheUrlSaysPercentS() throws Exception {
        TestEndpoint endpoint = endpoint();
        bridge = Bridge.withFlags("--topic=test", "--get=" + endpoint.url("/hook?m=%s&src=nsq"),
                "--nsqd-tcp-address=" + nsqd.address());
        awaitSubscribed("nsq_to_http");
        nsqd.publish("test", "a b&c=d/é~*");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("test", "nsq_to_http") == 1);
        TestEndpoint.Request request = endpoint.requests().get(0);
        assertEquals("GET", request.method());
        // Go's url.QueryEscape: space as +, bytes %XX, ~ kept
        assertEquals("/hook?m=a+b%26c%3Dd%2F%C3%A9~%2A&src=nsq", request.path());
        assertEquals(0, request.body().length);
        assertNull(request.header("content-type"), "no Content-Type on a GET, as nsq_to_http");
    }

    @Test
    void twoPostsInRoundRobinShareTheMessagesEvenly() throws Exception {
        TestEndpoint a = endpoint();
        TestEndpoint b = endpoint();
        bridge = Bridge.withFlags("--topic=test", "--post=" + a.url("/a"), "--post=" + b.url("/b"),
                "--mode=round-robin", "--nsqd-tcp-address=" + nsqd.address());
        awaitSubscribed("nsq_to_http");
        for (int i = 0; i < 40; i++) {
            nsqd.publish("test", "m" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("test", "nsq_to_http") == 40);
        assertEquals(40, a.requests().size() + b.requests().size(), "one endpoint per message");
        assertTrue(Math.abs(a.requests().size() - b.requests().size()) <= 1,
                a.requests().size() + " / " + b.requests().size());
    }

    @Test
    void hostpoolKeepsDeliveringEverythingWhileOneEndpointRefusesConnections() throws Exception {
        TestEndpoint good = endpoint();
        TestEndpoint gone = TestEndpoint.start();
        String goneUrl = gone.url("/gone");
        gone.close();
        bridge = Bridge.withFlags("--topic=test", "--post=" + goneUrl, "--post=" + good.url("/good"),
                "--mode=hostpool", "--nsqd-tcp-address=" + nsqd.address());
        awaitSubscribed("nsq_to_http");
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            ids.add(nsqd.publish("test", "m" + i));
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> nsqd.finCount("test", "nsq_to_http") == 30);
        assertEquals(ids, new HashSet<>(good.headerValues("x-cmq-message-id")));
        assertEquals(30, good.requests().size(), "each once, on the endpoint that answers");
        assertEquals(0, nsqd.requeueCount("test", "nsq_to_http"));
        assertTrue(nsqd.published("test.dead-letter").isEmpty());
    }

    @Test
    void consumerOptMaxAttemptsSetsWhenAMessageIsDeadLettered() throws Exception {
        TestEndpoint endpoint = endpoint().answer(n -> 500);
        bridge = Bridge.withFlags("--topic=test", "--post=" + endpoint.url("/x"), "--nsqd-tcp-address="
                + nsqd.address(), "--consumer-opt=max_attempts,3", "--consumer-opt=default_requeue_delay,50ms",
                "--push.redeliveries=0");
        awaitSubscribed("nsq_to_http");
        String id = nsqd.publish("test", "never accepted");

        await().atMost(Duration.ofSeconds(15)).until(() -> nsqd.published("test.dead-letter").size() == 1);
        assertEquals(3, endpoint.requestsFor(id).size());
        JsonNode record = new ObjectMapper().readTree(nsqd.published("test.dead-letter").get(0).body());
        assertEquals(3, record.get("attempts").asInt());
        assertEquals(2, nsqd.requeueCount("test", "nsq_to_http"));
    }

    @Test
    void theStandardWebhooksTestVector() {
        WebhookSigner signer = WebhookSigner.of("push.signing-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330, "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("WebhookSigner[HmacSHA256]", signer.toString(), "never the secret");
    }

    @Test
    void everyRequestIsSignedSoThatTheReceiverCanVerifyItAndARetryIsSignedAnew() throws Exception {
        String secret = "whsec_" + Base64.getEncoder().encodeToString("a signing key of 32 bytes, made!".getBytes(
                StandardCharsets.UTF_8));
        TestEndpoint endpoint = endpoint().answer(n -> n == 0 ? 500 : 200);
        bridge = Bridge.on(nsqd, endpoint.url("/signed"), java.util.Map.of("push.signing-secret", secret,
                "push.redelivery-delay", "1100ms"));
        awaitSubscribed("nsq-push");
        String id = nsqd.publish("orders", "sign me");

        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
        List<TestEndpoint.Request> requests = endpoint.requestsFor(id);
        assertEquals(2, requests.size());
        // the message's dedupe key, not nsqd's id (which repeats across topics and nsqds)
        String key = io.nsqpush.push.DedupeKey.of(nsqd.address(), "orders", id);
        for (TestEndpoint.Request request : requests) {
            // verified as a receiver does: the spec's algorithm over the raw request, not the bridge's code
            assertEquals(key, request.header("webhook-id"));
            String timestamp = request.header("webhook-timestamp");
            assertTrue(Math.abs(Long.parseLong(timestamp) - System.currentTimeMillis() / 1000) < 30, timestamp);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            mac.update((key + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(request.body()));
            assertEquals(expected, request.header("webhook-signature"));
        }
        assertTrue(Long.parseLong(requests.get(1).header("webhook-timestamp"))
                > Long.parseLong(requests.get(0).header("webhook-timestamp")), "a new timestamp on the retry");
        assertArrayEquals(requests.get(0).body(), requests.get(1).body());
    }
}
