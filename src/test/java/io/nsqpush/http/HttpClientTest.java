package io.nsqpush.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.HttpMethod;
import io.nsqpush.testsupport.RawHttpServer;
import io.nsqpush.testsupport.RawHttpServer.Answer;
import io.nsqpush.testsupport.RawHttpServer.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shared HTTP client on its own, where a race needs a hand to happen every time. */
class HttpClientTest {

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private RawHttpServer server;
    private HttpClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * A pooled connection can close between the pool's health check and the request going out on it (the server
     * drops an idle one; Netty may run the acquire's listener a task later). Its pipeline is gone by then: the request
     * must go out on a new connection, not fail inside Netty's listener and leave its answer never completed. A
     * health check that lets a closed connection through twice, back into the pool and out of it again, makes that
     * window certain.
     */
    @Test
    void aConnectionClosedBetweenThePoolAndTheRequestIsReplacedAndTheAnswerStillComes() throws Exception {
        Map<Channel, Integer> checks = new ConcurrentHashMap<>();
        server = RawHttpServer.start(r -> Answer.headers(200, "Connection: close\r\n"));
        client = new HttpClient(loops, Runnable::run, new HttpClient.Options(2_000, null, true, null, 60_000, 1,
                8192, 2_000), channel -> channel.eventLoop().newSucceededFuture(channel.isActive()
                || checks.merge(channel, 1, Integer::sum) <= 2));
        HttpTarget target = HttpTarget.parse(server.url("/x"));

        for (String body : List.of("one", "two", "three")) {
            HttpAnswer answer = client.send(target, HttpMethod.POST, "/x", headers -> { },
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), 2_000).get(10, TimeUnit.SECONDS);
            assertEquals(200, answer.status(), body);
        }

        List<Request> requests = server.requests();
        assertEquals(List.of("one", "two", "three"), requests.stream()
                .map(r -> new String(r.body(), StandardCharsets.UTF_8)).toList());
        assertEquals(3, server.connections(), "each request on a connection of its own: the closed one was dropped");
        // the first two were let through closed, refused when the client gave them back, and replaced
        assertEquals(List.of(1, 3, 3), checks.values().stream().sorted().toList());
        assertEquals(0, client.inUse(target), "every connection went back to the pool");
    }
}
