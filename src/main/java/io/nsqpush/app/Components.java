package io.nsqpush.app;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.nsqpush.component.NsqComponent;
import io.nsqpush.push.PushComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The bridge's two components as the settings configure them: each component option the settings resolved (an alias
 * such as nsq.msg-timeout, or its camel.component key, from whichever layer won) is set on the component or on its
 * endpoints' defaults, after Camel's own configuration, so that it holds whatever else set it; and one set of Netty
 * event loops for both, so that a message received on an I/O thread is also sent on it.
 */
final class Components {

    private Components() {
    }

    static void configure(CamelContext context, List<Settings.Applied> applied) {
        NsqComponent nsq = context.getComponent("nsq", NsqComponent.class);
        PushComponent push = context.getComponent("push", PushComponent.class);
        for (Settings.Applied value : applied) {
            Setting.Alias alias = value.alias();
            Object component = alias.component().equals("nsq") ? nsq : push;
            Object target = alias.componentLevel() ? component
                    : alias.component().equals("nsq") ? nsq.getConfiguration() : push.getConfiguration();
            set(target, alias.option().field(), value.value());
        }
        if (nsq.getEventLoopGroup() == null && push.getEventLoopGroup() == null) {
            SharedEventLoops loops = new SharedEventLoops(context, nsq.getIoThreads());
            try {
                context.addService(loops, true, true);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the I/O threads", e);
            }
            nsq.setEventLoopGroup(loops.group());
            push.setEventLoopGroup(loops.group());
        }
    }

    private static void set(Object target, Field field, Object value) {
        try {
            field.set(target, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Netty's event loops on threads Camel names and tracks, stopped with the context after the components. */
    static final class SharedEventLoops extends ServiceSupport {

        private final ExecutorService executor;
        private final EventLoopGroup group;
        private final CamelContext context;

        SharedEventLoops(CamelContext context, int threads) {
            this.context = context;
            this.executor = context.getExecutorServiceManager().newThreadPool(this, "NsqIO", threads, threads);
            this.group = new NioEventLoopGroup(threads, executor);
        }

        EventLoopGroup group() {
            return group;
        }

        @Override
        protected void doStop() {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            context.getExecutorServiceManager().shutdown(executor);
        }
    }
}
