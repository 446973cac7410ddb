package io.nsqpush.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends HTTP/1.1 requests without a thread per request: 200 requests in flight are 200 sockets on the caller's event
 * loops. Keep-alive connections are pooled per target and reused most-recently-used first. One deadline covers the
 * whole request (connecting, sending, the status and every byte of the body): an endpoint that answers 200 and then
 * trickles its body is cut at the deadline. The answer's body is read and dropped; only the status and Retry-After are
 * kept. Host names are resolved on the caller's executor, never on an event loop.
 * <p>
 * A request that fails on a reused connection before any byte of the answer (the server closed an idle keep-alive
 * connection just as we wrote) is sent once more on a new connection, as browsers and Go's client do: it never
 * reached the application.
 */
public final class HttpSender implements AutoCloseable {

    /**
     * @param connectTimeoutMs TCP connect timeout (and TLS and proxy set-up), within the deadline
     * @param deadlineMs       the whole request's deadline
     * @param tls              for https targets: the trust material; null for the JDK's CA list
     * @param verifyHostname   whether an https endpoint's certificate must name its host
     * @param proxy            an HTTP proxy (absolute-form requests for http, CONNECT for https), or null
     * @param idleTimeoutMs    a pooled connection unused this long is closed
     */
    public record Options(long connectTimeoutMs, long deadlineMs, SslContext tls, boolean verifyHostname,
                          InetSocketAddress proxy, long idleTimeoutMs) {
    }

    private final EventLoopGroup group;
    private final Executor resolver;
    private final Options options;
    /** For https targets; made on first use (the JDK's TLS set-up takes a while and plain http needs none). */
    private volatile SslContext tls;
    /** Idle connections per target and event loop: a request made on a loop reuses that loop's connections. */
    private final Map<PoolKey, Deque<Channel>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public HttpSender(EventLoopGroup group, Executor resolver, Options options) {
        this.group = group;
        this.resolver = resolver;
        this.options = options;
        this.tls = options.tls();
    }

    private SslContext tls() {
        SslContext context = tls;
        if (context == null) {
            synchronized (this) {
                if (tls == null) {
                    try {
                        tls = io.netty.handler.ssl.SslContextBuilder.forClient().build();
                    } catch (SSLException e) {
                        throw new IllegalStateException("the JDK's TLS cannot be set up: " + e.getMessage(), e);
                    }
                }
                context = tls;
            }
        }
        return context;
    }

    /**
     * @param headers the request's headers besides Host, Content-Length and Connection (filled in here)
     * @param body    the body, or null for none (a GET)
     * @return completes, on an event loop, with the answer, or exceptionally with an {@link HttpFailure}
     */
    public CompletableFuture<HttpAnswer> send(HttpTarget target, HttpMethod method, String pathAndQuery,
                                              Consumer<HttpHeaders> headers, byte[] body) {
        Call call = new Call(target, method, pathAndQuery, headers, body);
        call.start();
        return call.answer;
    }

    /** Closes every pooled connection; requests in flight fail. */
    @Override
    public void close() {
        closed = true;
        idle.values().forEach(deque -> {
            synchronized (deque) {
                deque.forEach(Channel::close);
                deque.clear();
            }
        });
    }

    /** @return the group's event loop this thread is, or null */
    private EventLoop currentLoop() {
        for (io.netty.util.concurrent.EventExecutor executor : group) {
            if (executor.inEventLoop()) {
                return (EventLoop) executor;
            }
        }
        return null;
    }

    private Channel pooled(HttpTarget target, EventLoop loop) {
        Deque<Channel> deque = idle.get(new PoolKey(target, loop));
        if (deque == null) {
            return null;
        }
        synchronized (deque) {
            Channel channel;
            while ((channel = deque.pollFirst()) != null) {
                if (channel.isActive()) {
                    return channel;
                }
            }
        }
        return null;
    }

    private void release(HttpTarget target, Channel channel) {
        if (closed || !channel.isActive()) {
            channel.close();
            return;
        }
        Deque<Channel> deque = idle.computeIfAbsent(new PoolKey(target, channel.eventLoop()), t -> new ArrayDeque<>());
        synchronized (deque) {
            deque.addFirst(channel);
        }
    }

    private void forget(HttpTarget target, Channel channel) {
        Deque<Channel> deque = idle.get(new PoolKey(target, channel.eventLoop()));
        if (deque != null) {
            synchronized (deque) {
                deque.remove(channel);
            }
        }
    }

    private record PoolKey(HttpTarget target, EventLoop loop) {
    }

    /** One request: its deadline, its connection, its answer. Its state is only touched on its event loop. */
    private final class Call {

        final HttpTarget target;
        final HttpMethod method;
        final String pathAndQuery;
        final Consumer<HttpHeaders> headers;
        final byte[] body;
        final CompletableFuture<HttpAnswer> answer = new CompletableFuture<>();
        final long startNanos = System.nanoTime();
        EventLoop loop;
        ScheduledFuture<?> deadline;
        Channel channel;
        boolean reused;
        boolean retried;

        Call(HttpTarget target, HttpMethod method, String pathAndQuery, Consumer<HttpHeaders> headers,
             byte[] body) {
            this.target = target;
            this.method = method;
            this.pathAndQuery = pathAndQuery;
            this.headers = headers;
            this.body = body;
        }

        void start() {
            if (closed) {
                answer.completeExceptionally(new HttpFailure(HttpFailure.Reason.CLOSED, "the sender is closed", null));
                return;
            }
            // on an event loop (the consumer's own I/O thread) everything stays on it: no hand-over between threads
            EventLoop current = currentLoop();
            loop = current != null ? current : group.next();
            Channel pooled = pooled(target, loop);
            deadline = loop.schedule(this::deadlinePassed, options.deadlineMs(), TimeUnit.MILLISECONDS);
            if (pooled != null) {
                reused = true;
                if (current != null) {
                    write(pooled);
                } else {
                    loop.execute(() -> write(pooled));
                }
            } else {
                connect();
            }
        }

        private void connect() {
            reused = false;
            if (options.proxy() != null) {
                // https: a CONNECT tunnel to the target, which the proxy resolves; http: requests in absolute form
                open(target.secure() ? target.unresolved() : options.proxy());
                return;
            }
            resolver.execute(() -> {
                InetSocketAddress resolved;
                try {
                    resolved = new InetSocketAddress(InetAddress.getByName(target.host()), target.port());
                } catch (UnknownHostException e) {
                    fail(new HttpFailure(HttpFailure.Reason.CONNECT, "unknown host " + target.host(), e));
                    return;
                }
                loop.execute(() -> open(resolved));
            });
        }

        private void open(InetSocketAddress address) {
            if (answer.isDone()) {
                return;
            }
            long remainingMs = options.deadlineMs() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            int connectTimeout = (int) Math.max(1, Math.min(options.connectTimeoutMs(), remainingMs));
            Bootstrap bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .resolver(NoopAddressResolverGroup.INSTANCE)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeout)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            pipeline(ch.pipeline(), connectTimeout);
                        }
                    });
            ChannelFuture connecting = bootstrap.connect(address);
            channel = connecting.channel();
            connecting.addListener(f -> {
                if (!f.isSuccess()) {
                    Throwable cause = f.cause();
                    fail(connectFailure(cause));
                    return;
                }
                Channel ch = connecting.channel();
                ch.closeFuture().addListener(c -> forget(target, ch));
                SslHandler ssl = ch.pipeline().get(SslHandler.class);
                if (ssl == null) {
                    write(ch);
                } else {
                    ssl.handshakeFuture().addListener(h -> {
                        if (h.isSuccess()) {
                            write(ch);
                        } else {
                            fail(new HttpFailure(HttpFailure.Reason.TLS, "TLS: " + h.cause().getMessage(), h.cause()));
                            ch.close();
                        }
                    });
                }
            });
        }

        private HttpFailure connectFailure(Throwable cause) {
            String where = target.hostHeader();
            if (cause instanceof io.netty.handler.proxy.ProxyConnectException) {
                return new HttpFailure(HttpFailure.Reason.PROXY, "proxy " + options.proxy() + ": " + cause.getMessage(),
                        cause);
            }
            if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                return new HttpFailure(HttpFailure.Reason.CONNECT, "connect to " + where + " timed out", cause);
            }
            if (cause instanceof ConnectException) {
                return new HttpFailure(HttpFailure.Reason.CONNECT, "connection refused by " + where, cause);
            }
            return new HttpFailure(HttpFailure.Reason.CONNECT, "cannot connect to " + where + ": " + cause.getMessage(),
                    cause);
        }

        private void pipeline(ChannelPipeline pipeline, int connectTimeout) {
            if (options.proxy() != null && target.secure()) {
                HttpProxyHandler proxy = new HttpProxyHandler(options.proxy());
                proxy.setConnectTimeoutMillis(connectTimeout);
                pipeline.addLast(proxy);
            }
            if (target.secure()) {
                SslHandler ssl = tls().newHandler(pipeline.channel().alloc(), target.host(), target.port());
                if (options.verifyHostname()) {
                    SSLEngine engine = ssl.engine();
                    SSLParameters parameters = engine.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    engine.setSSLParameters(parameters);
                }
                ssl.setHandshakeTimeoutMillis(connectTimeout);
                pipeline.addLast(ssl);
            }
            pipeline.addLast(new HttpClientCodec());
            pipeline.addLast(new IdleStateHandler(0, 0, options.idleTimeoutMs(), TimeUnit.MILLISECONDS));
            pipeline.addLast(new AnswerHandler(target));
        }

        /** Writes the request on its connection; on the connection's event loop. */
        private void write(Channel ch) {
            if (answer.isDone()) {
                // the deadline passed while connecting: the connection is still good for others
                release(target, ch);
                return;
            }
            channel = ch;
            ch.pipeline().get(AnswerHandler.class).call = this;
            ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
            boolean viaProxy = options.proxy() != null && !target.secure();
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method,
                    viaProxy ? target.absolute(pathAndQuery) : pathAndQuery, content);
            HttpHeaders h = request.headers();
            h.set(HttpHeaderNames.HOST, target.hostHeader());
            headers.accept(h);
            if (target.authorization() != null && !h.contains(HttpHeaderNames.AUTHORIZATION)) {
                h.set(HttpHeaderNames.AUTHORIZATION, target.authorization());
            }
            if (body != null) {
                h.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            }
            ch.writeAndFlush(request).addListener(f -> {
                if (!f.isSuccess()) {
                    closedEarly(ch, f.cause());
                }
            });
        }

        /** The connection broke before the whole answer. */
        void closedEarly(Channel ch, Throwable cause) {
            if (answer.isDone()) {
                return;
            }
            AnswerHandler handler = ch.pipeline().get(AnswerHandler.class);
            boolean nothingRead = handler == null || !handler.started;
            if (reused && nothingRead && !retried) {
                // a keep-alive connection the server had just closed: the request never reached it
                retried = true;
                if (handler != null) {
                    handler.call = null;
                }
                ch.close();
                connect();
                return;
            }
            String why = cause == null ? "the connection closed before the whole answer" : cause.getMessage();
            fail(new HttpFailure(cause instanceof SSLException ? HttpFailure.Reason.TLS : HttpFailure.Reason.CLOSED,
                    why, cause));
            ch.close();
        }

        void answered(Channel ch, HttpAnswer result, boolean keepAlive) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (answer.complete(result)) {
                if (keepAlive) {
                    release(target, ch);
                } else {
                    ch.close();
                }
            }
        }

        private void deadlinePassed() {
            if (fail(new HttpFailure(HttpFailure.Reason.DEADLINE, "no complete answer within "
                    + io.nsqpush.config.Durations.format(options.deadlineMs()), null)) && channel != null) {
                channel.close();
            }
        }

        private boolean fail(HttpFailure failure) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            return answer.completeExceptionally(failure);
        }
    }

    /** Reads one answer after another on a connection; the body is dropped as it comes. */
    private final class AnswerHandler extends ChannelInboundHandlerAdapter {

        private final HttpTarget target;
        Call call;
        boolean started;
        private int status;
        private String retryAfter;
        private boolean keepAlive;

        AnswerHandler(HttpTarget target) {
            this.target = target;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    if (response.status().code() < 200) {
                        return; // 100 Continue and the like: the real answer follows
                    }
                    started = true;
                    status = response.status().code();
                    retryAfter = response.headers().get(HttpHeaderNames.RETRY_AFTER);
                    keepAlive = HttpUtil.isKeepAlive(response);
                }
                if (msg instanceof LastHttpContent && started) {
                    Call current = call;
                    call = null;
                    started = false;
                    if (current != null) {
                        current.answered(ctx.channel(), new HttpAnswer(status, retryAfter), keepAlive);
                    } else {
                        ctx.close(); // an answer nobody waits for: the connection is out of step
                    }
                }
            } finally {
                if (msg instanceof HttpContent || msg instanceof HttpResponse) {
                    ReferenceCountUtil.release(msg);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            forget(target, ctx.channel());
            Call current = call;
            if (current != null) {
                current.closedEarly(ctx.channel(), null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Call current = call;
            if (current != null) {
                current.closedEarly(ctx.channel(), cause);
            }
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent && call == null) {
                ctx.close(); // idle in the pool for too long: servers close such connections, better we do first
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }
    }
}
