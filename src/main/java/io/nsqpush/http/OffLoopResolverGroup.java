package io.nsqpush.http;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Resolves host names with the JDK (its cache, /etc/hosts, the system's DNS) on an executor of the caller's, never on
 * an event loop: Netty's default resolver blocks the loop, and a slow DNS answer for one endpoint would stall every
 * connection on it.
 */
final class OffLoopResolverGroup extends AddressResolverGroup<InetSocketAddress> {

    private final Executor blocking;

    OffLoopResolverGroup(Executor blocking) {
        this.blocking = blocking;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new InetNameResolver(executor) {
            @Override
            protected void doResolve(String host, Promise<InetAddress> promise) {
                run(promise, () -> promise.trySuccess(InetAddress.getByName(host)));
            }

            @Override
            protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
                run(promise, () -> promise.trySuccess(Arrays.asList(InetAddress.getAllByName(host))));
            }
        }.asAddressResolver();
    }

    private interface Lookup {
        void run() throws Exception;
    }

    private void run(Promise<?> promise, Lookup lookup) {
        try {
            blocking.execute(() -> {
                try {
                    lookup.run();
                } catch (Exception e) {
                    promise.tryFailure(e);
                }
            });
        } catch (RejectedExecutionException stopping) {
            promise.tryFailure(stopping);
        }
    }
}
