package io.nsqpush.nsq;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Opens connections to nsqd on a shared event loop group; the group belongs to the caller. */
public final class NsqConnector {

    private final EventLoopGroup group;

    public NsqConnector(EventLoopGroup group) {
        this.group = group;
    }

    /**
     * Connects, sends the magic and IDENTIFY, and completes once nsqd has answered IDENTIFY. Fails when the address
     * cannot be reached, nsqd refuses IDENTIFY, or the link drops first.
     */
    public CompletableFuture<NsqConnection> connect(NsqAddress address, NsqClientOptions options,
                                                    NsqConnectionListener listener) {
        NsqConnection connection = new NsqConnection(address, options, listener);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
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
        bootstrap.connect(address.host(), address.port()).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new NsqException("cannot connect to nsqd " + address + ": "
                        + f.cause().getMessage(), f.cause()));
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
}
