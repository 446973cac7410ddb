package io.nsqpush.push;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.OptionRange;
import io.nsqpush.config.Options;
import io.nsqpush.http.HttpClient;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultComponent;

import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code push:} component: delivers exchanges to HTTP endpoints in CMQ's push formats. It owns the one HTTP client
 * every endpoint shares: event loops (or an application's own, autowired), the DNS resolver, TLS set-up, and the
 * connections to each host, capped per host over every endpoint that sends there.
 */
@org.apache.camel.spi.annotations.Component("push")
public class PushComponent extends DefaultComponent {

    /** The component-wide options below (the endpoint ones are {@link PushConfiguration#OPTIONS}). */
    public static final Options OPTIONS = Options.of(PushComponent.class);

    @Metadata(description = "Default options for every push: endpoint of this component")
    private PushConfiguration configuration = new PushConfiguration();

    @Metadata(defaultValue = "2s", javaType = "java.time.Duration", description = "TCP connect timeout to an"
            + " endpoint (and its TLS and proxy set-up); connections are shared by every endpoint of a host")
    @OptionRange(min = "1ms", max = "10m")
    private long connectTimeout;
    @Metadata(defaultValue = "256", description = "Connections open to one host:port at most, shared by every"
            + " endpoint and subscription that sends there; requests beyond it wait for a free one (at most 5m)")
    @OptionRange(min = "1", max = "65535")
    private int maxConnectionsPerHost;
    @Metadata(label = "advanced", defaultValue = "65536", description = "The largest status line and header block"
            + " of an answer, in bytes; a larger one fails the request at once (the endpoint counts as unavailable)")
    @OptionRange(min = "8192", max = "16777216")
    private int maxHeaderSize;
    @Metadata(description = "An HTTP proxy for every endpoint, host:port; empty: direct")
    private String proxy;
    @Metadata(label = "security", description = "PKCS12 (or JKS) file with the certificates that may sign an https"
            + " endpoint's certificate; default the JDK's CA list")
    private String trustStore;
    @Metadata(label = "security", secret = true, description = "Password of trustStore; never logged")
    private String trustStorePassword;
    @Metadata(label = "security", defaultValue = "true", description = "Require an https endpoint's certificate to"
            + " name its host")
    private boolean verifyHostname;
    @Metadata(label = "advanced", description = "Netty I/O threads of the HTTP client when no event loop group is"
            + " shared with it (default: 2, or 1 on a single core)")
    @OptionRange(min = "1", max = "256")
    private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());
    @Metadata(label = "advanced", autowired = true, description = "Netty event loops to share with other I/O of the"
            + " application (the nsq: component's), so that a message received on one runs its request there with no"
            + " hand-over between threads; default: the component's own")
    private EventLoopGroup eventLoopGroup;

    private EventLoopGroup ownLoops;
    private ExecutorService ioExecutor;
    private ExecutorService resolver;
    private HttpClient client;
    private ScheduledExecutorService pacingTimer;

    public PushComponent() {
        OPTIONS.applyDefaults(this);
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        PushConfiguration endpointConfiguration = configuration.copy();
        Object url = parameters.remove("url");
        if (url != null && !remaining.isBlank()) {
            throw new InvalidValueException("url", "push: takes its URL once: in the path (push:http://host/in) or"
                    + " as the url option (push:?url=RAW(http://host/in?token=abc)), not both");
        }
        endpointConfiguration.setUrl(url != null ? url.toString() : remaining);
        PushConfiguration.OPTIONS.parseTexts(parameters);
        PushEndpoint endpoint = new PushEndpoint(uri, this, endpointConfiguration);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    /** @return the client every endpoint shares, started on first use */
    synchronized HttpClient client() {
        if (client == null) {
            OPTIONS.checkRanges(this, o -> true);
            EventLoopGroup loops = eventLoopGroup;
            if (loops == null) {
                ioExecutor = getCamelContext().getExecutorServiceManager().newThreadPool(this, "PushIO", ioThreads,
                        ioThreads);
                ownLoops = new NioEventLoopGroup(ioThreads, ioExecutor);
                loops = ownLoops;
            }
            // DNS may block: resolved on threads of their own, never on an event loop
            resolver = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "PushDns");
            client = new HttpClient(loops, resolver, new HttpClient.Options(connectTimeout, trust(), verifyHostname,
                    proxyAddress(), 60_000, maxConnectionsPerHost, maxHeaderSize, 300_000));
        }
        return client;
    }

    /**
     * @return the one timer thread every endpoint's {@link Pacing} shares: armed only while a request waits for a
     *         token, so that nothing ticks while idle however many subscriptions there are
     */
    synchronized ScheduledExecutorService pacingTimer() {
        if (pacingTimer == null) {
            pacingTimer = getCamelContext().getExecutorServiceManager().newSingleThreadScheduledExecutor(this,
                    "PushPacing");
        }
        return pacingTimer;
    }

    @Override
    protected synchronized void doStop() throws Exception {
        if (pacingTimer != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(pacingTimer);
            pacingTimer = null;
        }
        if (client != null) {
            client.close();
            client = null;
            getCamelContext().getExecutorServiceManager().shutdownNow(resolver);
        }
        if (ownLoops != null) {
            ownLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            getCamelContext().getExecutorServiceManager().shutdown(ioExecutor);
            ownLoops = null;
        }
        super.doStop();
    }

    private InetSocketAddress proxyAddress() {
        String value = proxy == null ? "" : proxy.trim();
        if (value.isEmpty()) {
            return null;
        }
        int colon = value.lastIndexOf(':');
        int port = -1;
        try {
            port = colon > 0 ? Integer.parseInt(value.substring(colon + 1)) : -1;
        } catch (NumberFormatException e) {
            // reported below
        }
        if (port < 1 || port > 65535) {
            throw new InvalidValueException("proxy", value, "is not an address of the form host:port",
                    "host:port, or empty");
        }
        return InetSocketAddress.createUnresolved(value.substring(0, colon), port);
    }

    private SslContext trust() {
        String file = trustStore == null ? "" : trustStore.trim();
        if (file.isEmpty()) {
            return null;
        }
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            // since JDK 9 a PKCS12 KeyStore also reads JKS files
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, trustStorePassword == null ? new char[0] : trustStorePassword.toCharArray());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return SslContextBuilder.forClient().trustManager(factory).build();
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidValueException("trustStore", file, "cannot be read (" + e.getMessage() + ")",
                    "a PKCS12 or JKS trust store and its trustStorePassword");
        }
    }

    // ------------------------------------------------------------------ accessors (their docs are the @Metadata's)

    public PushConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(PushConfiguration configuration) {
        this.configuration = configuration;
    }

    public long getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(long connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public int getMaxConnectionsPerHost() {
        return maxConnectionsPerHost;
    }

    public void setMaxConnectionsPerHost(int maxConnectionsPerHost) {
        this.maxConnectionsPerHost = maxConnectionsPerHost;
    }

    public int getMaxHeaderSize() {
        return maxHeaderSize;
    }

    public void setMaxHeaderSize(int maxHeaderSize) {
        this.maxHeaderSize = maxHeaderSize;
    }

    public String getProxy() {
        return proxy;
    }

    public void setProxy(String proxy) {
        this.proxy = proxy;
    }

    public String getTrustStore() {
        return trustStore;
    }

    public void setTrustStore(String trustStore) {
        this.trustStore = trustStore;
    }

    public String getTrustStorePassword() {
        return trustStorePassword;
    }

    public void setTrustStorePassword(String trustStorePassword) {
        this.trustStorePassword = trustStorePassword;
    }

    public boolean isVerifyHostname() {
        return verifyHostname;
    }

    public void setVerifyHostname(boolean verifyHostname) {
        this.verifyHostname = verifyHostname;
    }

    public int getIoThreads() {
        return ioThreads;
    }

    public void setIoThreads(int ioThreads) {
        this.ioThreads = ioThreads;
    }

    public EventLoopGroup getEventLoopGroup() {
        return eventLoopGroup;
    }

    public void setEventLoopGroup(EventLoopGroup eventLoopGroup) {
        this.eventLoopGroup = eventLoopGroup;
    }
}
