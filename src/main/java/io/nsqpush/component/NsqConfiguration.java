package io.nsqpush.component;

import io.nsqpush.Version;
import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqCompression;
import io.nsqpush.nsq.NsqLookupd;
import io.nsqpush.nsq.NsqNames;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.spi.UriPath;

import java.net.InetAddress;
import java.util.List;
import java.net.UnknownHostException;

/** Every option of an {@code nsq:} endpoint; the component holds one as the default for its endpoints. */
@UriParams
public class NsqConfiguration implements Cloneable {

    /** nsqd refuses a REQ or DPUB delay above its --max-req-timeout, 1 h by default. */
    public static final long MAX_REQUEUE_DELAY_LIMIT = 3_600_000L;

    @UriPath(description = "The NSQ topic to consume from or publish to")
    @Metadata(required = true)
    private String topic;

    @UriParam
    private String servers;
    @UriParam(label = "consumer")
    private String lookupd;
    @UriParam(label = "consumer", defaultValue = "60000", javaType = "java.time.Duration")
    private long lookupdPollInterval = 60_000;
    @UriParam(label = "consumer")
    private String channel;
    @UriParam(label = "consumer", defaultValue = "200")
    private int maxInFlight = 200;
    @UriParam(label = "consumer", defaultValue = "60000", javaType = "java.time.Duration")
    private long msgTimeout = 60_000;
    @UriParam(label = "consumer", defaultValue = "5")
    private int maxAttempts = 5;
    @UriParam(label = "consumer", defaultValue = "10000", javaType = "java.time.Duration")
    private long requeueDelay = 10_000;
    @UriParam(label = "consumer", defaultValue = "900000", javaType = "java.time.Duration")
    private long maxRequeueDelay = 900_000;
    @UriParam(label = "consumer", defaultValue = "true")
    private boolean autoTouch = true;
    @UriParam(label = "consumer,advanced", defaultValue = "500", javaType = "java.time.Duration")
    private long reconnectDelay = 500;
    @UriParam(label = "consumer,advanced", defaultValue = "30000", javaType = "java.time.Duration")
    private long maxReconnectDelay = 30_000;
    @UriParam(defaultValue = "30000", javaType = "java.time.Duration")
    private long heartbeatInterval = 30_000;
    @UriParam(defaultValue = "2000", javaType = "java.time.Duration")
    private long connectTimeout = 2_000;
    @UriParam
    private String clientId;
    @UriParam
    private String userAgent = Version.userAgent();
    @UriParam(label = "advanced", defaultValue = "16777216")
    private int maxFrameSize = NsqClientOptions.DEFAULT_MAX_FRAME_SIZE;
    @UriParam(label = "security", defaultValue = "false")
    private boolean tls;
    @UriParam(label = "security")
    private String tlsTrustStore;
    @UriParam(label = "security", secret = true)
    private String tlsTrustStorePassword;
    @UriParam(label = "security")
    private String tlsKeyStore;
    @UriParam(label = "security", secret = true)
    private String tlsKeyStorePassword;
    @UriParam(label = "security", defaultValue = "true")
    private boolean tlsVerifyHostname = true;
    @UriParam(label = "security", secret = true)
    private String authSecret;
    @UriParam(defaultValue = "none", enums = "none,snappy,deflate")
    private String compression = "none";
    @UriParam(label = "advanced", defaultValue = "6")
    private int deflateLevel = 6;

    public String getTopic() {
        return topic;
    }

    /** The NSQ topic to consume from or publish to: 1-64 characters of [.a-zA-Z0-9_-], optionally #ephemeral. */
    public void setTopic(String topic) {
        this.topic = topic;
    }

    public String getServers() {
        return servers;
    }

    /**
     * The nsqd TCP addresses, comma-separated host:port. A consumer connects to every one (and to what lookupd finds)
     * and splits maxInFlight among them; a producer publishes to the first that answers. Default localhost:4150 when
     * no lookupd is set.
     */
    public void setServers(String servers) {
        this.servers = servers;
    }

    public String getLookupd() {
        return lookupd;
    }

    /**
     * nsqlookupd HTTP addresses, comma-separated host:port or http(s) URLs: the consumer polls /lookup?topic= on each,
     * connects to every producer found and lets go of producers no longer listed. Combines with servers.
     */
    public void setLookupd(String lookupd) {
        this.lookupd = lookupd;
    }

    public long getLookupdPollInterval() {
        return lookupdPollInterval;
    }

    /** How often lookupd is polled, with up to 30% jitter so that many consumers do not poll at once. Default 60 s. */
    public void setLookupdPollInterval(long lookupdPollInterval) {
        this.lookupdPollInterval = lookupdPollInterval;
    }

    /** @return the nsqd addresses configured by hand: servers, or localhost:4150 when neither servers nor lookupd is set */
    List<NsqAddress> staticServers() {
        if (servers == null || servers.isBlank()) {
            return lookupdAddresses().isEmpty() ? List.of(new NsqAddress("localhost", 4150)) : List.of();
        }
        return NsqAddress.parseList(servers);
    }

    /** @return the lookupd addresses, as given */
    List<String> lookupdAddresses() {
        if (lookupd == null || lookupd.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(lookupd.split(",")).map(String::trim).filter(a -> !a.isEmpty()).distinct()
                .toList();
    }

    public String getChannel() {
        return channel;
    }

    /** The channel to consume from (required for a consumer). Every channel gets its own copy of each message. */
    public void setChannel(String channel) {
        this.channel = channel;
    }

    public int getMaxInFlight() {
        return maxInFlight;
    }

    /**
     * How many messages may be processed at once, across all nsqd connections: each connection gets RDY
     * max(1, maxInFlight / connections), as go-nsq splits it. Default 200.
     */
    public void setMaxInFlight(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    public long getMsgTimeout() {
        return msgTimeout;
    }

    /**
     * How long nsqd waits for FIN or REQ before it redelivers a message (sent in IDENTIFY; 1 s to nsqd's
     * --max-msg-timeout, 15 min by default). Default 60 s.
     */
    public void setMsgTimeout(long msgTimeout) {
        this.msgTimeout = msgTimeout;
    }

    public int getMaxAttempts() {
        return maxAttempts;
    }

    /**
     * The delivery attempt from which a failed message is no longer requeued but dead-lettered by the route's error
     * handler; published to routes in the CamelNsqMaxAttempts header. The consumer itself never drops a message: an
     * exchange that still fails is requeued. Default 5.
     */
    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public long getRequeueDelay() {
        return requeueDelay;
    }

    /**
     * The REQ delay after a failed first attempt; it doubles with every further attempt up to maxRequeueDelay.
     * Default 10 s.
     */
    public void setRequeueDelay(long requeueDelay) {
        this.requeueDelay = requeueDelay;
    }

    public long getMaxRequeueDelay() {
        return maxRequeueDelay;
    }

    /** The largest REQ delay, at most 1 h (nsqd's --max-req-timeout default). Default 15 min. */
    public void setMaxRequeueDelay(long maxRequeueDelay) {
        this.maxRequeueDelay = maxRequeueDelay;
    }

    public boolean isAutoTouch() {
        return autoTouch;
    }

    /**
     * TOUCH a message that is still being processed after half the msg timeout, so that nsqd does not redeliver it
     * (nsqd never extends a message past its --max-msg-timeout). Default true.
     */
    public void setAutoTouch(boolean autoTouch) {
        this.autoTouch = autoTouch;
    }

    public long getReconnectDelay() {
        return reconnectDelay;
    }

    /** The first wait before reconnecting to an nsqd that was lost or unreachable; it doubles up to maxReconnectDelay. Default 500 ms. */
    public void setReconnectDelay(long reconnectDelay) {
        this.reconnectDelay = reconnectDelay;
    }

    public long getMaxReconnectDelay() {
        return maxReconnectDelay;
    }

    /** The longest wait between reconnection attempts. Default 30 s. */
    public void setMaxReconnectDelay(long maxReconnectDelay) {
        this.maxReconnectDelay = maxReconnectDelay;
    }

    public long getHeartbeatInterval() {
        return heartbeatInterval;
    }

    /**
     * How often nsqd sends a heartbeat (1 s to 60 s); a connection silent for two intervals is closed and
     * reconnected. Default 30 s.
     */
    public void setHeartbeatInterval(long heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public long getConnectTimeout() {
        return connectTimeout;
    }

    /** TCP connect timeout to nsqd. Default 2 s. */
    public void setConnectTimeout(long connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public String getClientId() {
        return clientId;
    }

    /** The client_id shown in nsqd's stats. Default: this host's short name. */
    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public String getUserAgent() {
        return userAgent;
    }

    /** The user_agent sent in IDENTIFY. Default nsq-push/&lt;version&gt;. */
    public void setUserAgent(String userAgent) {
        this.userAgent = userAgent;
    }

    public int getMaxFrameSize() {
        return maxFrameSize;
    }

    /**
     * The largest frame accepted from nsqd, in bytes; a larger size field is taken as a corrupt stream and closes the
     * connection. Keep it above nsqd's --max-msg-size (1 MiB by default). Default 16 MiB.
     */
    public void setMaxFrameSize(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
    }

    /** Checks the options every endpoint needs; the message names the option, the bad value and what is allowed. */
    void validate() {
        NsqNames.require("topic", topic);
        staticServers(); // parses them: a bad address names itself
        for (String address : lookupdAddresses()) {
            try {
                NsqLookupd.baseUri(address);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("lookupd " + e.getMessage());
            }
        }
        require("lookupdPollInterval", lookupdPollInterval, 1_000, Integer.MAX_VALUE);
        require("heartbeatInterval", heartbeatInterval, 1_000, 60_000);
        require("connectTimeout", connectTimeout, 1, Integer.MAX_VALUE);
        require("maxFrameSize", maxFrameSize, 1024, 256 * 1024 * 1024);
        NsqCompression.parse(compression);
        require("deflateLevel", deflateLevel, 1, 9);
    }

    /** Checks what a consumer needs on top of {@link #validate()}. */
    void validateForConsumer() {
        if (channel == null || channel.isBlank()) {
            throw new IllegalArgumentException("channel is required to consume from nsq:" + topic);
        }
        NsqNames.require("channel", channel);
        require("maxInFlight", maxInFlight, 1, 65_535);
        // nsqd refuses a msg_timeout above its --max-msg-timeout (15 min by default) with a fatal E_BAD_BODY
        require("msgTimeout", msgTimeout, 1_000, 900_000);
        require("maxAttempts", maxAttempts, 1, 65_535);
        require("requeueDelay", requeueDelay, 0, MAX_REQUEUE_DELAY_LIMIT);
        require("maxRequeueDelay", maxRequeueDelay, 0, MAX_REQUEUE_DELAY_LIMIT);
        require("reconnectDelay", reconnectDelay, 1, Integer.MAX_VALUE);
        require("maxReconnectDelay", maxReconnectDelay, reconnectDelay, Integer.MAX_VALUE);
    }

    private static void require(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + " " + value + " is out of range: allowed " + min + ".." + max);
        }
    }

    /** @return what the protocol client needs to IDENTIFY */
    NsqClientOptions toClientOptions() {
        return new NsqClientOptions(clientId != null ? clientId : shortHostname(), fullHostname(), userAgent,
                (int) heartbeatInterval, channel == null ? 0 : (int) msgTimeout, (int) connectTimeout, maxFrameSize,
                autoTouch, NsqTlsContexts.from(this), NsqCompression.parse(compression), deflateLevel, authSecret);
    }

    private static String fullHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static String shortHostname() {
        String name = fullHostname();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    public boolean isTls() {
        return tls;
    }

    /**
     * Ask nsqd for TLS (tls_v1) after IDENTIFY. A connection to an nsqd that does not offer it fails instead of going
     * on in plain text. Default false.
     */
    public void setTls(boolean tls) {
        this.tls = tls;
    }

    public String getTlsTrustStore() {
        return tlsTrustStore;
    }

    /** PKCS12 (or JKS) file with the certificates that may sign nsqd's certificate. Default: the JDK's CA list. */
    public void setTlsTrustStore(String tlsTrustStore) {
        this.tlsTrustStore = tlsTrustStore;
    }

    public String getTlsTrustStorePassword() {
        return tlsTrustStorePassword;
    }

    /** Password of tlsTrustStore. */
    public void setTlsTrustStorePassword(String tlsTrustStorePassword) {
        this.tlsTrustStorePassword = tlsTrustStorePassword;
    }

    public String getTlsKeyStore() {
        return tlsKeyStore;
    }

    /** PKCS12 (or JKS) file with a client certificate and key, for an nsqd that requires one. Default: none. */
    public void setTlsKeyStore(String tlsKeyStore) {
        this.tlsKeyStore = tlsKeyStore;
    }

    public String getTlsKeyStorePassword() {
        return tlsKeyStorePassword;
    }

    /** Password of tlsKeyStore and of the key in it. */
    public void setTlsKeyStorePassword(String tlsKeyStorePassword) {
        this.tlsKeyStorePassword = tlsKeyStorePassword;
    }

    public boolean isTlsVerifyHostname() {
        return tlsVerifyHostname;
    }

    /** Require nsqd's certificate to name the host (or IP) connected to. Default true. */
    public void setTlsVerifyHostname(boolean tlsVerifyHostname) {
        this.tlsVerifyHostname = tlsVerifyHostname;
    }

    public String getAuthSecret() {
        return authSecret;
    }

    /** The secret sent with AUTH when nsqd requires it (--auth-http-address); never logged. Default: none. */
    public void setAuthSecret(String authSecret) {
        this.authSecret = authSecret;
    }

    public String getCompression() {
        return compression;
    }

    /** Stream compression to ask nsqd for: none, snappy or deflate. Default none. */
    public void setCompression(String compression) {
        this.compression = compression;
    }

    public int getDeflateLevel() {
        return deflateLevel;
    }

    /** Deflate level 1-9 when compression is deflate (nsqd caps it at --max-deflate-level, 6). Default 6. */
    public void setDeflateLevel(int deflateLevel) {
        this.deflateLevel = deflateLevel;
    }

    public NsqConfiguration copy() {
        try {
            return (NsqConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }
}
