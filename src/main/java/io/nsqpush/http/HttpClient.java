package io.nsqpush.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.nsqpush.config.Durations;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * HTTP/1.1 requests without a thread per request, for every endpoint of an application: one client, its connections
 * pooled per target host with Netty's {@link FixedChannelPool} (keep-alive, most recently used first, health-checked)
 * and capped per host over every caller, so that many subscriptions sending to one host share its connections instead
 * of opening one per message in flight. Requests beyond the cap wait for a free connection.
 * <p>
 * Each host has one pool per event loop, the cap split between them: a request made on an event loop (the NSQ
 * connection's own I/O thread) uses that loop's connections, with no hand-over between threads, and takes another
 * loop's share only when its own is used up.
 * <p>
 * One deadline covers a request from the moment it has a connection: sending, the status and every byte of the answer
 * (an endpoint that answers 200 and then trickles its body is cut at the deadline). Connecting is bounded by the
 * connect timeout, waiting for a free connection at the cap by {@link Options#maxWaitMs()}. The answer's body is read
 * and dropped; its headers are bounded ({@link Options#maxHeaderSize()}), and an answer that is not HTTP fails at once.
 * Host names are resolved off the event loops. A request that fails on a reused connection before any byte of the
 * answer (the server had just closed an idle connection) is sent again, as browsers and Go's client do: it never
 * reached the application.
 */
public final class HttpClient implements AutoCloseable {

    /** A reused connection found closed before its answer is replaced at most this often per request. */
    static final int STALE_RETRIES = 2;

    /**
     * @param connectTimeoutMs    TCP connect timeout (and TLS and proxy set-up)
     * @param tls                 for https targets: the trust material; null for the JDK's CA list
     * @param verifyHostname      whether an https endpoint's certificate must name its host
     * @param proxy               an HTTP proxy (absolute-form requests for http, CONNECT for https), or null
     * @param idleTimeoutMs       a pooled connection unused this long is closed
     * @param maxConnectionsPerHost connections open to one host:port at most, over every caller
     * @param maxHeaderSize       the largest answer header block accepted, in bytes
     * @param maxWaitMs           how long a request may wait for a free connection at the cap
     */
    public record Options(long connectTimeoutMs, SslContext tls, boolean verifyHostname, InetSocketAddress proxy,
                          long idleTimeoutMs, int maxConnectionsPerHost, int maxHeaderSize, long maxWaitMs) {
    }

    private static final AttributeKey<Integer> USES = AttributeKey.valueOf("nsqPushUses");

    private final EventLoopGroup group;
    private final ChannelHealthChecker health;
    private final List<EventLoop> loops = new ArrayList<>();
    private final Options options;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final ConcurrentMap<HostKey, Host> hosts = new ConcurrentHashMap<>();
    /** For https targets; made on first use (the JDK's TLS set-up takes a while and plain http needs none). */
    private volatile SslContext tls;
    private volatile boolean closed;

    /** @param resolverExecutor where host names are resolved (it may block) */
    public HttpClient(EventLoopGroup group, Executor resolverExecutor, Options options) {
        this(group, resolverExecutor, options, ChannelHealthChecker.ACTIVE);
    }

    /** @param health whether a pooled connection may be taken (a test lets a closed one through, as a race does) */
    HttpClient(EventLoopGroup group, Executor resolverExecutor, Options options, ChannelHealthChecker health) {
        this.health = health;
        this.group = group;
        this.options = options;
        this.tls = options.tls();
        this.resolver = new OffLoopResolverGroup(resolverExecutor);
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
    }

    public Options options() {
        return options;
    }

    /**
     * @param headers    fills in the request's headers besides Host, Content-Length and Connection
     * @param body       the body, or null for none (a GET); the client releases it
     * @param deadlineMs the request's deadline once it has a connection
     * @return completes with the answer, or exceptionally with an {@link HttpFailure}; on an event loop
     */
    public CompletableFuture<HttpAnswer> send(HttpTarget target, HttpMethod method, String pathAndQuery,
                                              Consumer<HttpHeaders> headers, ByteBuf body, long deadlineMs) {
        Call call = new Call(target, method, pathAndQuery, headers, body == null ? null : body, deadlineMs);
        if (closed) {
            call.fail(new HttpFailure(HttpFailure.Reason.CLOSED, "the HTTP client is closed", null));
        } else {
            call.acquire();
        }
        return call.answer;
    }

    /** @return connections open or being opened to the target's host now (acquired ones, for the cap) */
    public int inUse(HttpTarget target) {
        Host host = hosts.get(HostKey.of(target));
        return host == null ? 0 : host.inUse();
    }

    /** Closes every pooled connection; requests in flight fail. */
    @Override
    public void close() {
        closed = true;
        hosts.values().forEach(Host::close);
        hosts.clear();
    }

    private EventLoop currentLoop() {
        for (EventLoop loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return null;
    }

    private SslContext tls() {
        SslContext context = tls;
        if (context == null) {
            synchronized (this) {
                if (tls == null) {
                    try {
                        tls = SslContextBuilder.forClient().build();
                    } catch (SSLException e) {
                        throw new IllegalStateException("the JDK's TLS cannot be set up: " + e.getMessage(), e);
                    }
                }
                context = tls;
            }
        }
        return context;
    }

    /** The pools of one host:port. */
    private record HostKey(boolean secure, String host, int port) {
        static HostKey of(HttpTarget target) {
            return new HostKey(target.secure(), target.host(), target.port());
        }
    }

    /** One host's connections: a pool per event loop, the host's cap split between them. */
    private final class Host {

        private final FixedChannelPool[] pools;
        private final int share;

        Host(HttpTarget target) {
            pools = new FixedChannelPool[loops.size()];
            share = Math.max(1, (options.maxConnectionsPerHost() + loops.size() - 1) / loops.size());
            boolean tunnel = options.proxy() != null && target.secure();
            InetSocketAddress remote = options.proxy() != null && !target.secure() ? options.proxy()
                    : target.unresolved();
            for (int i = 0; i < pools.length; i++) {
                Bootstrap bootstrap = new Bootstrap().group(loops.get(i)).channel(NioSocketChannel.class)
                        // through a CONNECT tunnel the proxy resolves the name
                        .resolver(tunnel ? NoopAddressResolverGroup.INSTANCE : resolver)
                        .remoteAddress(remote)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.SO_KEEPALIVE, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeoutMs());
                pools[i] = new FixedChannelPool(bootstrap, new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel ch) {
                        pipeline(ch.pipeline(), target);
                    }
                }, health, FixedChannelPool.AcquireTimeoutAction.FAIL, options.maxWaitMs(),
                        share, Integer.MAX_VALUE, true, true);
            }
        }

        /** @return the caller's loop's pool, unless its share is in use and another loop's is not */
        FixedChannelPool choose(EventLoop preferred) {
            int own = preferred == null ? 0 : loops.indexOf(preferred);
            if (pools[own].acquiredChannelCount() < share) {
                return pools[own];
            }
            for (FixedChannelPool pool : pools) {
                if (pool.acquiredChannelCount() < share) {
                    return pool;
                }
            }
            return pools[own];
        }

        int inUse() {
            int sum = 0;
            for (FixedChannelPool pool : pools) {
                sum += pool.acquiredChannelCount();
            }
            return sum;
        }

        void close() {
            for (FixedChannelPool pool : pools) {
                pool.closeAsync();
            }
        }
    }

    private void pipeline(ChannelPipeline pipeline, HttpTarget target) {
        int connectTimeout = (int) options.connectTimeoutMs();
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
        pipeline.addLast(new HttpClientCodec(4096, options.maxHeaderSize(), 8192));
        pipeline.addLast(new IdleStateHandler(0, 0, options.idleTimeoutMs(), TimeUnit.MILLISECONDS));
        pipeline.addLast(new AnswerHandler());
    }

    /** One request: its connection, its deadline, its answer. After it has a connection, only its event loop. */
    final class Call {

        final HttpTarget target;
        final HttpMethod method;
        final String pathAndQuery;
        final Consumer<HttpHeaders> headers;
        final ByteBuf body;
        final long deadlineMs;
        final CompletableFuture<HttpAnswer> answer = new CompletableFuture<>();
        private FixedChannelPool pool;
        private Channel channel;
        private boolean reused;
        private int staleRetries;
        private ScheduledFuture<?> deadline;

        Call(HttpTarget target, HttpMethod method, String pathAndQuery, Consumer<HttpHeaders> headers, ByteBuf body,
             long deadlineMs) {
            this.target = target;
            this.method = method;
            this.pathAndQuery = pathAndQuery;
            this.headers = headers;
            this.body = body;
            this.deadlineMs = deadlineMs;
        }

        void acquire() {
            Host host = hosts.computeIfAbsent(HostKey.of(target), key -> new Host(target));
            FixedChannelPool chosen = host.choose(currentLoop());
            chosen.acquire().addListener((Future<Channel> acquired) -> {
                if (acquired.isSuccess()) {
                    started(chosen, acquired.getNow());
                } else {
                    fail(acquireFailure(acquired.cause()));
                }
            });
        }

        /** Whatever goes wrong in sending completes the answer: a listener's exception would be lost in Netty's log. */
        private void started(FixedChannelPool from, Channel ch) {
            try {
                start(from, ch);
            } catch (RuntimeException | Error e) {
                if (channel == ch) {
                    giveBack(ch, false);
                }
                fail(new HttpFailure(HttpFailure.Reason.CLOSED, "the request could not be sent: " + e, e));
            }
        }

        private void start(FixedChannelPool from, Channel ch) {
            if (answer.isDone()) {
                from.release(ch); // failed meanwhile (the client closed): the connection is still good for others
                return;
            }
            if (!ch.eventLoop().inEventLoop()) {
                ch.eventLoop().execute(() -> started(from, ch));
                return;
            }
            AnswerHandler handler = ch.pipeline().get(AnswerHandler.class);
            if (handler == null || !ch.isActive()) {
                // closed since the pool's health check (the server dropped it idle; a closed channel loses its
                // handlers): the request never left, so another connection takes it
                ch.close();
                from.release(ch);
                if (staleRetries < STALE_RETRIES && !closed) {
                    staleRetries++;
                    acquire();
                } else {
                    fail(new HttpFailure(HttpFailure.Reason.CLOSED, "the connection to " + target.hostHeader()
                            + " closed before the request could be sent", null));
                }
                return;
            }
            pool = from;
            channel = ch;
            Integer uses = ch.attr(USES).get();
            reused = uses != null;
            ch.attr(USES).set(uses == null ? 1 : uses + 1);
            handler.begin(this);
            deadline = ch.eventLoop().schedule(this::deadlinePassed, deadlineMs, TimeUnit.MILLISECONDS);
            ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER : body.retainedDuplicate();
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
                h.set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            }
            ch.writeAndFlush(request).addListener(f -> {
                if (!f.isSuccess()) {
                    closedEarly(ch, f.cause(), false);
                }
            });
        }

        /** The connection broke before the whole answer; {@code started}: some of the answer had come. */
        void closedEarly(Channel ch, Throwable cause, boolean started) {
            if (answer.isDone() || ch != channel) {
                return;
            }
            giveBack(ch, false);
            if (reused && !started && staleRetries < STALE_RETRIES && !closed) {
                // a keep-alive connection the server had just closed: the request never reached it
                staleRetries++;
                cancelDeadline();
                acquire();
                return;
            }
            String why = cause == null ? "the connection closed before the whole answer" : cause.getMessage();
            fail(new HttpFailure(cause instanceof SSLException ? HttpFailure.Reason.TLS
                    : isConnectFailure(cause) ? HttpFailure.Reason.PROXY : HttpFailure.Reason.CLOSED, why, cause));
        }

        void answered(Channel ch, HttpAnswer result, boolean keepAlive) {
            if (ch != channel) {
                return;
            }
            giveBack(ch, keepAlive);
            cancelDeadline();
            if (answer.complete(result) && body != null) {
                body.release();
            }
        }

        void refused(Channel ch, String why, Throwable cause) {
            if (ch != channel) {
                return;
            }
            giveBack(ch, false);
            fail(new HttpFailure(HttpFailure.Reason.PROTOCOL, why, cause));
        }

        private void deadlinePassed() {
            Channel ch = channel;
            if (ch != null && !answer.isDone()) {
                giveBack(ch, false);
            }
            fail(new HttpFailure(HttpFailure.Reason.DEADLINE, "no complete answer within "
                    + Durations.format(deadlineMs), null));
        }

        /** Returns the connection to its pool once: kept for the next request, or closed. */
        private void giveBack(Channel ch, boolean keep) {
            channel = null;
            AnswerHandler handler = ch.pipeline().get(AnswerHandler.class);
            if (handler != null) { // gone when the channel closed
                handler.end(this);
            }
            if (!keep || closed) {
                ch.close();
            }
            pool.release(ch);
        }

        private void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        void fail(HttpFailure failure) {
            cancelDeadline();
            if (answer.completeExceptionally(failure) && body != null) {
                body.release();
            }
        }

        private HttpFailure acquireFailure(Throwable cause) {
            String where = target.hostHeader();
            if (cause instanceof java.util.concurrent.TimeoutException) {
                return new HttpFailure(HttpFailure.Reason.QUEUE, "no free connection to " + where + " within "
                        + Durations.format(options.maxWaitMs()) + " (" + options.maxConnectionsPerHost()
                        + " per host)", cause);
            }
            if (cause instanceof io.netty.handler.proxy.ProxyConnectException) {
                return new HttpFailure(HttpFailure.Reason.PROXY, "proxy " + options.proxy() + ": "
                        + cause.getMessage(), cause);
            }
            if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                return new HttpFailure(HttpFailure.Reason.CONNECT, "connect to " + where + " timed out", cause);
            }
            if (cause instanceof ConnectException) {
                return new HttpFailure(HttpFailure.Reason.CONNECT, "connection refused by " + where, cause);
            }
            if (cause instanceof java.net.UnknownHostException) {
                return new HttpFailure(HttpFailure.Reason.CONNECT, "unknown host " + target.host(), cause);
            }
            if (cause instanceof IllegalStateException && closed) {
                return new HttpFailure(HttpFailure.Reason.CLOSED, "the HTTP client is closed", cause);
            }
            return new HttpFailure(HttpFailure.Reason.CONNECT, "cannot connect to " + where + ": "
                    + cause.getMessage(), cause);
        }
    }

    private static boolean isConnectFailure(Throwable cause) {
        return cause instanceof io.netty.handler.proxy.ProxyConnectException;
    }
}
