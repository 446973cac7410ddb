package io.nsqpush.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's HTTP endpoint, in a JVM of its own: answers every POST with 200 and an empty body after a settable
 * delay, records when each request arrived and, when the message body is a publish timestamp, the end-to-end latency.
 * <p>
 * It shares the cores with the bridges it measures, so it must cost far less per request than they do: Netty on one
 * event-loop thread, HTTP/1.1 keep-alive, and a delayed answer is a task scheduled on that event loop, so 200 requests
 * waiting 20 ms hold no thread. The event loop is epoll's where available: its timers fire within microseconds, NIO's
 * up to a millisecond late, which is 5 % of a 20 ms answer. (netty-codec-http comes with vertx-core, which
 * camel-platform-http brings.)
 * Usage: {@code BenchEndpoint [port]}; prints {@code ready <port>}.
 * <ul>
 *   <li>{@code POST /anything}: recorded, answered 200 with an empty body after the current latency</li>
 *   <li>{@code GET /config?latency=MS}: sets the latency</li>
 *   <li>{@code GET /reset}: forgets everything recorded</li>
 *   <li>{@code GET /stats}: one JSON object, see {@link Recorder#json()}</li>
 * </ul>
 */
@ChannelHandler.Sharable
public final class BenchEndpoint extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** A SIMPLIFIED body that is the timestamp itself, or the JSON envelope's msgBody holding it. */
    private static final Pattern TIMESTAMP = Pattern.compile("^\\s*(\\d{12,14})\\s*$|\"msgBody\":\"(\\d{12,14})\"");

    private final Recorder recorder = new Recorder();
    private volatile int latencyMs;

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        BenchEndpoint endpoint = new BenchEndpoint();
        // one non-daemon thread accepts, reads, answers and keeps the JVM alive until the driver destroys it
        boolean epoll = Epoll.isAvailable();
        Channel server = new ServerBootstrap()
                .group(epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1))
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        endpoint.recorder.connected();
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(1 << 20), endpoint);
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), port).sync().channel();
        System.out.println("ready " + ((InetSocketAddress) server.localAddress()).getPort());
        System.out.flush();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        long nanos = System.nanoTime();
        long millis = System.currentTimeMillis();
        if (HttpMethod.POST.equals(request.method())) {
            recorder.record(millis, nanos, publishTime(request.content()));
            int delay = latencyMs;
            if (delay <= 0) {
                answer(ctx, HttpResponseStatus.OK, "");
            } else {
                ctx.executor().schedule(() -> answer(ctx, HttpResponseStatus.OK, ""), delay, TimeUnit.MILLISECONDS);
            }
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        switch (uri.path()) {
            case "/config" -> {
                List<String> latency = uri.parameters().get("latency");
                if (latency != null) {
                    latencyMs = Integer.parseInt(latency.get(0));
                }
                answer(ctx, HttpResponseStatus.OK, "{\"latencyMs\":" + latencyMs + "}");
            }
            case "/reset" -> {
                recorder.reset();
                answer(ctx, HttpResponseStatus.OK, "{}");
            }
            case "/stats" -> answer(ctx, HttpResponseStatus.OK, recorder.json());
            default -> answer(ctx, HttpResponseStatus.NOT_FOUND, "");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a bridge that stops resets its connections: nothing to record
    }

    /** The publisher's epoch-millis timestamp carried in the body, or -1. */
    private static long publishTime(ByteBuf body) {
        if (body.readableBytes() > 4096) {
            return -1;
        }
        Matcher m = TIMESTAMP.matcher(body.toString(StandardCharsets.UTF_8));
        if (!m.find()) {
            return -1;
        }
        return Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2));
    }

    /** Content-Length always set: HttpServerKeepAliveHandler closes a connection whose answer has none. */
    private static void answer(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
        ByteBuf body = text.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (body.isReadable()) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        }
        ctx.writeAndFlush(response);
    }

    /** What arrived since the last reset. Growable arrays under one lock: a few million entries at most. */
    static final class Recorder {
        private static final int MAX_ENTRIES = 20_000_000;
        private long[] receipts = new long[1 << 16];
        private long[] latencies = new long[1 << 10];
        private int count;
        private int latencyCount;
        private int connections;
        private long firstMillis;
        private long lastMillis;

        synchronized void connected() {
            connections++;
        }

        synchronized void record(long millis, long nanos, long publishMillis) {
            if (count == MAX_ENTRIES) {
                return; // bounded: a run this long is not a benchmark any more
            }
            if (count == 0) {
                firstMillis = millis;
            }
            lastMillis = millis;
            if (count == receipts.length) {
                receipts = Arrays.copyOf(receipts, count * 2);
            }
            receipts[count++] = nanos;
            if (publishMillis > 0) {
                if (latencyCount == latencies.length) {
                    latencies = Arrays.copyOf(latencies, latencyCount * 2);
                }
                latencies[latencyCount++] = millis - publishMillis;
            }
        }

        synchronized void reset() {
            count = 0;
            latencyCount = 0;
            connections = 0;
            firstMillis = 0;
            lastMillis = 0;
        }

        /**
         * count, firstMs/lastMs (epoch ms of the first and last receipt), rate (count over first..last receipt),
         * steadyRate (the receipts between the 10th and the 90th percentile of arrival order, leaving out ramp-up and
         * tail), latency p50/p99/max in ms over the requests whose body held a timestamp, and connections (TCP
         * connections opened: a client that keeps them alive opens about as many as it has requests in flight).
         */
        synchronized String json() {
            double rate = count < 2 ? 0 : (count - 1) * 1e9 / (receipts[count - 1] - receipts[0]);
            int lo = count / 10;
            int hi = count * 9 / 10;
            double steady = hi - lo < 2 ? 0 : (hi - lo) * 1e9 / (receipts[hi] - receipts[lo]);
            long[] sorted = Arrays.copyOf(latencies, latencyCount);
            Arrays.sort(sorted);
            return String.format(java.util.Locale.ROOT,
                    "{\"count\":%d,\"firstMs\":%d,\"lastMs\":%d,\"rate\":%.1f,\"steadyRate\":%.1f,"
                            + "\"latencyCount\":%d,\"p50\":%d,\"p99\":%d,\"max\":%d,\"connections\":%d}",
                    count, firstMillis, lastMillis, rate, steady, latencyCount,
                    percentile(sorted, 0.50), percentile(sorted, 0.99), percentile(sorted, 1.0), connections);
        }

        private static long percentile(long[] sorted, double p) {
            if (sorted.length == 0) {
                return -1;
            }
            int index = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }
    }
}
