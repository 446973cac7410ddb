package io.nsqpush.nsq;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Opens connections to nsqd on a shared event loop group; the group belongs to the caller. Host names are resolved on
 * the caller's executor, never on the event loop: lookupd hands out host names, and a slow DNS answer for one nsqd must
 * not stall FIN, REQ and heartbeats of every connection on that loop (Netty's default resolver blocks the loop).
 */
public final class NsqConnector {

    /** Turns an address into a socket address; may block (DNS). */
    @FunctionalInterface
    public interface Resolver {
        InetSocketAddress resolve(NsqAddress address) throws UnknownHostException;
    }

    private final EventLoopGroup group;
    private final Executor resolverExecutor;
    private final Resolver resolver;

    /** For tools and tests: names are resolved on the common fork-join pool. */
    public NsqConnector(EventLoopGroup group) {
        this(group, java.util.concurrent.ForkJoinPool.commonPool());
    }

    public NsqConnector(EventLoopGroup group, Executor resolverExecutor) {
        this(group, resolverExecutor, address -> new InetSocketAddress(InetAddress.getByName(address.host()),
                address.port()));
    }

    public NsqConnector(EventLoopGroup group, Executor resolverExecutor, Resolver resolver) {
        this.group = group;
        this.resolverExecutor = resolverExecutor;
        this.resolver = resolver;
    }

    /** @return the event loops the connections live on */
    public EventLoopGroup group() {
        return group;
    }

    /**
     * Connects, sends the magic and IDENTIFY, and completes once nsqd has answered IDENTIFY. Fails when the address
     * cannot be reached, nsqd refuses IDENTIFY, or the link drops first.
     */
    public CompletableFuture<NsqConnection> connect(NsqAddress address, NsqClientOptions options,
                                                    NsqConnectionListener listener) {
        NsqConnection connection = new NsqConnection(address, options, listener);
        // the loop is chosen once: the socket is made and registered there, with no second hand-over
        EventLoop loop = group.next();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, options.connectTimeoutMs())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // nsqd sends a heartbeat every interval: two silent intervals mean the link is dead
                        ch.pipeline().addLast(new IdleStateHandler(2L * options.heartbeatIntervalMs(), 0, 0,
                                TimeUnit.MILLISECONDS));
                        // FIN/REQ from many worker threads: one syscall for a burst, not one per command
                        ch.pipeline().addLast(new FlushConsolidationHandler(256, true));
                        ch.pipeline().addLast(connection.newDecoder());
                        ch.pipeline().addLast(connection);
                    }
                });
        CompletableFuture<NsqConnection> result = new CompletableFuture<>();
        // an address literal needs no resolver: no hand-over to another thread (hundreds of subscriptions start)
        // (not one with an IPv6 zone, fe80::1%eth0, whose zone Netty's parser drops)
        byte[] literal = address.host().indexOf('%') >= 0 ? null
                : NetUtil.createByteArrayFromIpAddressString(address.host());
        CompletableFuture<InetSocketAddress> resolution;
        if (literal != null) {
            resolution = CompletableFuture.completedFuture(new InetSocketAddress(ipAddress(literal), address.port()));
        } else {
            resolution = CompletableFuture.supplyAsync(() -> {
                try {
                    return resolver.resolve(address);
                } catch (UnknownHostException e) {
                    throw new NsqException("cannot connect to nsqd " + address + ": unknown host " + address.host(),
                            e);
                }
            }, resolverExecutor);
        }
        resolution.whenComplete((resolved, error) -> {
            if (error != null) {
                result.completeExceptionally(error instanceof java.util.concurrent.CompletionException
                        ? error.getCause() : error);
                return;
            }
            // the socket is opened and registered on an event loop, not by the caller: a bridge starting hundreds
            // of subscriptions does that next to its start-up work instead of after it
            try {
                if (loop.isShuttingDown()) {
                    // a task given to a loop that is shutting down may be dropped: fail now instead of never
                    throw new RejectedExecutionException("shutting down");
                }
                loop.execute(() -> bootstrap.connect(resolved).addListener(f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(new NsqException("cannot connect to nsqd " + address + ": "
                                + f.cause().getMessage(), f.cause()));
                    }
                }));
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(new NsqException("cannot connect to nsqd " + address
                        + ": the event loops are shut down", e));
            }
        });
        connection.identified().whenComplete((c, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(c);
            }
        });
        return result;
    }

    private static InetAddress ipAddress(byte[] literal) {
        try {
            return InetAddress.getByAddress(literal);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + literal.length + " bytes", e); // 4 or 16: never
        }
    }
}
