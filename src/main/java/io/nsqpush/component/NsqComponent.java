package io.nsqpush.component;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.nsqpush.nsq.NsqConnector;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.HealthCheckComponent;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The {@code nsq:} component: consumes from and publishes to nsqd over its TCP protocol. */
@org.apache.camel.spi.annotations.Component("nsq")
public class NsqComponent extends HealthCheckComponent {

    @Metadata(description = "Default options for every nsq: endpoint of this component")
    private NsqConfiguration configuration = new NsqConfiguration();

    @Metadata(label = "advanced", description = "Netty I/O threads shared by every nsqd connection of this component"
            + " (default: 2, or 1 on a single core); they only decode frames and write commands, never process messages")
    @io.nsqpush.config.OptionRange(min = "1", max = "256")
    private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());

    @Metadata(label = "advanced", autowired = true, description = "Netty event loops to share with other I/O of the"
            + " application (the push: component's HTTP client), so that a message runs on the thread that received"
            + " it from end to end; default: the component's own (ioThreads)")
    private EventLoopGroup eventLoopGroup;

    private ExecutorService ioExecutor;
    private ExecutorService dnsExecutor;
    private EventLoopGroup ownLoops;
    private NsqConnector connector;
    /**
     * The one timer of every consumer of this component: probes, held messages, RDY rotation, reconnects and lookupd
     * polls. Consumers arm it only when they have something to do, so idle subscriptions cost no wake-up at all.
     */
    private ScheduledExecutorService timer;
    /** lookupd clients by connect timeout and body limit (one, unless subscriptions set their own), on one pool. */
    private final Map<java.util.List<Object>, io.nsqpush.nsq.NsqLookupd> lookupds = new java.util.HashMap<>();
    private ExecutorService lookupdExecutor;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        NsqConfiguration endpointConfiguration = configuration.copy();
        endpointConfiguration.setTopic(remaining);
        NsqConfiguration.OPTIONS.parseTexts(parameters);
        NsqEndpoint endpoint = new NsqEndpoint(uri, this, endpointConfiguration);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public NsqConfiguration getConfiguration() {
        return configuration;
    }

    /** Default options for every nsq: endpoint of this component. */
    public void setConfiguration(NsqConfiguration configuration) {
        this.configuration = configuration;
    }

    public int getIoThreads() {
        return ioThreads;
    }

    /** Netty I/O threads shared by every nsqd connection of this component. Default min(2, cores). */
    public void setIoThreads(int ioThreads) {
        this.ioThreads = ioThreads;
    }

    public EventLoopGroup getEventLoopGroup() {
        return eventLoopGroup;
    }

    /** Netty event loops shared with other I/O of the application; the application starts and stops them. */
    public void setEventLoopGroup(EventLoopGroup eventLoopGroup) {
        this.eventLoopGroup = eventLoopGroup;
    }

    /** @return the connector on this component's event loops, started with the component */
    synchronized NsqConnector connector() {
        if (connector == null) {
            EventLoopGroup loops = eventLoopGroup;
            if (loops == null) {
                // Netty starts one long-lived thread per event loop through this executor: Camel names and tracks them
                ioExecutor = getCamelContext().getExecutorServiceManager().newThreadPool(this, "NsqIO", ioThreads,
                        ioThreads);
                ownLoops = new NioEventLoopGroup(ioThreads, ioExecutor);
                loops = ownLoops;
            }
            // DNS may block: resolved on threads of their own, never on the event loop
            dnsExecutor = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "NsqDns");
            connector = new NsqConnector(loops, dnsExecutor);
        }
        return connector;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        timer();
    }

    /** @return the timer shared by this component's consumers (started with the component) */
    synchronized ScheduledExecutorService timer() {
        if (timer == null) {
            timer = getCamelContext().getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "NsqTimer");
        }
        return timer;
    }

    /**
     * @return how many tasks the shared timer has run since the component started (idle subscriptions add none), -1
     *         when it cannot tell
     */
    public synchronized long timerTasksRun() {
        if (timer instanceof org.apache.camel.util.concurrent.SizedScheduledExecutorService sized) {
            return sized.getCompletedTaskCount(); // what Camel's ExecutorServiceManager makes
        }
        return timer instanceof java.util.concurrent.ThreadPoolExecutor pool ? pool.getCompletedTaskCount() : -1;
    }

    /** @return the pool of the lookupd clients, shared by this component's consumers */
    synchronized ExecutorService lookupdExecutor() {
        if (lookupdExecutor == null) {
            lookupdExecutor = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "NsqLookupd");
        }
        return lookupdExecutor;
    }

    /** @return the lookupd client for these settings, shared by the consumers that have them */
    synchronized io.nsqpush.nsq.NsqLookupd lookupd(long connectTimeoutMillis, int maxBodySize) {
        ExecutorService executor = lookupdExecutor();
        return lookupds.computeIfAbsent(java.util.List.of(connectTimeoutMillis, maxBodySize),
                key -> new io.nsqpush.nsq.NsqLookupd(executor, java.time.Duration.ofMillis(connectTimeoutMillis),
                        maxBodySize));
    }

    @Override
    protected synchronized void doStop() throws Exception {
        lookupds.clear();
        if (lookupdExecutor != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(lookupdExecutor);
            lookupdExecutor = null;
        }
        if (timer != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(timer);
            timer = null;
        }
        if (connector != null) {
            if (ownLoops != null) {
                ownLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
                getCamelContext().getExecutorServiceManager().shutdown(ioExecutor);
                ownLoops = null;
                ioExecutor = null;
            }
            getCamelContext().getExecutorServiceManager().shutdownNow(dnsExecutor);
            connector = null;
        }
        super.doStop();
    }
}
