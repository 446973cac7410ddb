package io.nsqpush.component;

import io.nsqpush.Version;
import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqClientOptions;
import io.nsqpush.nsq.NsqCompression;
import io.nsqpush.nsq.NsqLookupd;
import io.nsqpush.nsq.NsqNames;
import io.nsqpush.config.Durations;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.OptionRange;
import io.nsqpush.config.Options;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.spi.UriPath;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Every option of an {@code nsq:} endpoint; the component holds one as the default for its endpoints. Each option's
 * default is declared once, in its {@code @UriParam} (the generated metadata, the README table and the field's initial
 * value all come from there, see {@link Options}), and the allowed range of a number or duration in its
 * {@link OptionRange}. Durations are kept in milliseconds and written as {@code 250ms}, {@code 15s}, {@code 1m30s}.
 */
@UriParams
public class NsqConfiguration implements Cloneable {

    /** The declarations below, read once. */
    public static final Options OPTIONS = Options.of(NsqConfiguration.class);

    /** nsqd refuses a REQ or DPUB delay above its --max-req-timeout, 1 h by default. */
    public static final long MAX_REQUEUE_DELAY_MS = 3_600_000L;
    /** nsqd's --max-msg-timeout default: msg_timeout above it is refused, TOUCH cannot extend a message past it. */
    public static final long MAX_MSG_TIMEOUT_MS = 900_000L;

    @UriPath(description = "The NSQ topic to consume from or publish to: 1-64 characters of [.a-zA-Z0-9_-],"
            + " optionally ending in #ephemeral")
    @Metadata(required = true)
    private String topic;

    @UriParam(description = "nsqd TCP addresses, comma-separated host:port. A consumer connects to every one (and to"
            + " what lookupd finds) and splits maxInFlight among them; a producer publishes to the first that answers."
            + " Without servers and lookupd: localhost:4150")
    private String servers;
    @UriParam(description = "nsqlookupd HTTP addresses, comma-separated host:port or http(s) URLs. A consumer connects"
            + " to every nsqd that produces the topic; a producer without servers publishes through the nsqd the"
            + " exchange's message came from (CamelNsqAddress) or else one that lookupd lists")
    private String lookupd;
    @UriParam(label = "consumer", defaultValue = "60s", javaType = "java.time.Duration",
              description = "How often lookupd is polled for the topic's producers, with up to 30% jitter")
    @OptionRange(min = "1s", max = "1d")
    private long lookupdPollInterval;
    @UriParam(label = "consumer,advanced", defaultValue = "4194304", description = "The largest lookupd answer read,"
            + " in bytes; a larger one is cut, logged once, and that lookupd's last good answer is kept. Each lookupd"
            + " request, its body included, also has a deadline: 10 s, or lookupdPollInterval when shorter")
    @OptionRange(min = "1024", max = "1073741824")
    private int lookupdMaxBodySize;
    @UriParam(label = "consumer,advanced", defaultValue = "100", description = "The most nsqd connections that lookupd"
            + " answers can open for this consumer; the producers beyond it are left out, with one log line")
    @OptionRange(min = "1", max = "65535")
    private int lookupdMaxProducers;
    @UriParam(label = "consumer", defaultValue = "nsq-push", description = "The channel to consume: every channel"
            + " gets its own copy of each message; consumers on one channel share its messages")
    private String channel;
    @UriParam(label = "consumer", defaultValue = "200", description = "Messages processed at once over all nsqd"
            + " connections: RDY is split across them and the sum of their windows never exceeds it")
    @OptionRange(min = "1", max = "65535")
    private int maxInFlight;
    @UriParam(label = "consumer", defaultValue = "0", description = "Bytes of messages in flight (received and not yet"
            + " answered, held ones included) over all nsqd connections. Above it RDY drops to 0 and the sockets are"
            + " not read until bytes are freed; RDY is also kept to about this many bytes' worth of messages of the"
            + " recent average size. 0: a quarter of the JVM's maximum heap")
    @OptionRange(min = "0", max = "1099511627776")
    private long maxInFlightBytes;
    @UriParam(label = "consumer", defaultValue = "60s", javaType = "java.time.Duration", description = "Sent in"
            + " IDENTIFY: how long nsqd waits for FIN or REQ before it delivers the message again (nsqd's"
            + " --max-msg-timeout caps it)")
    @OptionRange(min = "1s", max = "15m")
    private long msgTimeout;
    @UriParam(label = "consumer", defaultValue = "5", description = "The delivery attempt from which a route's error"
            + " handler dead-letters a message that still fails (published as CamelNsqMaxAttempts); the consumer"
            + " itself never drops a message")
    @OptionRange(min = "1", max = "65535")
    private int maxAttempts;
    @UriParam(label = "consumer", defaultValue = "10s", javaType = "java.time.Duration", description = "REQ delay"
            + " after a failed first attempt, doubling with every further attempt up to maxRequeueDelay")
    @OptionRange(min = "0", max = "1h")
    private long requeueDelay;
    @UriParam(label = "consumer", defaultValue = "15m", javaType = "java.time.Duration", description = "The largest"
            + " REQ delay (nsqd's --max-req-timeout, 1 h by default, caps it); a retryPolicy with a longer one is"
            + " refused, never shortened")
    @OptionRange(min = "0", max = "1h")
    private long maxRequeueDelay;
    @UriParam(label = "consumer", defaultValue = "NSQ", enums = "NSQ,BACKOFF_RETRY,EXPONENTIAL_DECAY_RETRY",
              description = "How a failed message is retried, as REQ delays in nsqd counted by nsqd's attempts. NSQ:"
                      + " requeueDelay doubling up to maxRequeueDelay, dead letter at maxAttempts. CMQ's policies"
                      + " (their own delays and attempts; maxRequeueDelay must allow their longest delay):"
                      + " BACKOFF_RETRY, 3 retries each after a random 10-20s; EXPONENTIAL_DECAY_RETRY, 176 retries"
                      + " over a day after 1s, 2s, 4s, ... 256s, then 512s")
    private String retryPolicy;
    @UriParam(label = "consumer", defaultValue = "1s", javaType = "java.time.Duration", description = "The first"
            + " pause of the subscription when a route reports its downstream unavailable (RDY 0, then one message at"
            + " a time); it doubles after every failed probe up to maxBackoffDelay")
    @OptionRange(min = "10ms", max = "1h")
    private long backoffDelay;
    @UriParam(label = "consumer", defaultValue = "60s", javaType = "java.time.Duration", description = "The longest"
            + " pause between two probes of an unavailable downstream")
    @OptionRange(min = "10ms", max = "1h")
    private long maxBackoffDelay;
    @UriParam(label = "consumer", defaultValue = "15m", javaType = "java.time.Duration", description = "The longest"
            + " one exchange may run: auto-TOUCH stops after it, so that nsqd delivers a stuck message again")
    @OptionRange(min = "1s", max = "1d")
    private long maxProcessingTime;
    @UriParam(label = "consumer", defaultValue = "0", description = "Threads that run the route. 0: the I/O thread that"
            + " received the message runs it, with no hand-over between threads (the fastest, for routes whose steps do"
            + " not block: the push route's HTTP step does not). More: a pool of up to this many, for routes with a"
            + " step that blocks (a file write, a database call)")
    @OptionRange(min = "0", max = "65535")
    private int threads;
    @UriParam(label = "consumer", defaultValue = "true", description = "TOUCH a message still being processed after"
            + " half the msg timeout, so that nsqd does not deliver it again (never past maxProcessingTime or nsqd's"
            + " max_msg_timeout)")
    private boolean autoTouch;
    @UriParam(label = "consumer,advanced", defaultValue = "500ms", javaType = "java.time.Duration",
              description = "The first wait before reconnecting to an nsqd that was lost or unreachable; it doubles up"
                      + " to maxReconnectDelay, with jitter")
    @OptionRange(min = "1ms", max = "1h")
    private long reconnectDelay;
    @UriParam(label = "consumer,advanced", defaultValue = "30s", javaType = "java.time.Duration",
              description = "The longest wait between reconnection attempts")
    @OptionRange(min = "1ms", max = "1d")
    private long maxReconnectDelay;
    @UriParam(defaultValue = "30s", javaType = "java.time.Duration", description = "How often nsqd sends a"
            + " heartbeat; a connection silent for two intervals is closed and reconnected")
    @OptionRange(min = "1s", max = "60s")
    private long heartbeatInterval;
    @UriParam(label = "consumer,advanced", defaultValue = "25ms", javaType = "java.time.Duration",
              description = "How long nsqd may keep messages in its write buffer before sending them (IDENTIFY"
                      + " output_buffer_timeout): while fewer messages are in flight than RDY allows, this is the"
                      + " delay a message can wait at nsqd. 25ms is the least nsqd accepts by default"
                      + " (--min-output-buffer-timeout); 0 leaves nsqd's default, 250ms")
    @OptionRange(min = "0", max = "1s")
    private long outputBufferTimeout;
    @UriParam(defaultValue = "2s", javaType = "java.time.Duration", description = "TCP connect timeout to nsqd")
    @OptionRange(min = "1ms", max = "10m")
    private long connectTimeout;
    @UriParam(description = "The client_id shown in nsqd's stats; default this host's short name")
    private String clientId;
    @UriParam(description = "The user_agent sent in IDENTIFY; default nsq-push/<version>")
    private String userAgent = Version.userAgent();
    @UriParam(label = "advanced", defaultValue = "16777216", description = "The largest frame accepted from nsqd, in"
            + " bytes; a larger size field is taken as a corrupt stream and closes the connection. Keep it above nsqd's"
            + " --max-msg-size")
    @OptionRange(min = "1024", max = "268435456")
    private int maxFrameSize;
    @UriParam(label = "security", defaultValue = "false", description = "Ask nsqd for TLS (tls_v1) after IDENTIFY; an"
            + " nsqd without TLS is refused, never used in plain text")
    private boolean tls;
    @UriParam(label = "security", description = "PKCS12 (or JKS) file with the certificates that may sign nsqd's"
            + " certificate; default the JDK's CA list")
    private String tlsTrustStore;
    @UriParam(label = "security", secret = true, description = "Password of tlsTrustStore")
    private String tlsTrustStorePassword;
    @UriParam(label = "security", description = "PKCS12 (or JKS) file with a client certificate and key, for an nsqd"
            + " that requires one")
    private String tlsKeyStore;
    @UriParam(label = "security", secret = true, description = "Password of tlsKeyStore and of the key in it")
    private String tlsKeyStorePassword;
    @UriParam(label = "security", defaultValue = "true", description = "Require nsqd's certificate to name the host"
            + " (or IP) connected to")
    private boolean tlsVerifyHostname;
    @UriParam(label = "security", secret = true, description = "The secret sent with AUTH when nsqd requires it"
            + " (--auth-http-address); never logged")
    private String authSecret;
    @UriParam(defaultValue = "none", enums = "none,snappy,deflate", description = "Stream compression to ask nsqd for")
    private String compression;
    @UriParam(label = "advanced", defaultValue = "6", description = "Deflate level when compression is deflate"
            + " (nsqd caps it at its --max-deflate-level)")
    @OptionRange(min = "1", max = "9")
    private int deflateLevel;

    public NsqConfiguration() {
        OPTIONS.applyDefaults(this);
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
        return Arrays.stream(lookupd.split(",")).map(String::trim).filter(a -> !a.isEmpty()).distinct().toList();
    }

    /** Checks the options every endpoint needs; the message names the option, the bad value and what is allowed. */
    void validate() {
        NsqNames.require("topic", topic);
        NsqAddress.parseList("servers", servers);
        for (String address : lookupdAddresses()) {
            try {
                NsqLookupd.baseUri(address);
            } catch (IllegalArgumentException e) {
                throw new io.nsqpush.config.InvalidValueException("lookupd", UriMasking.uri(address),
                        "is not an nsqlookupd HTTP"
                        + " address", "host:port or an http(s):// URL, e.g. 127.0.0.1:4161");
            }
        }
        NsqCompression.parse(compression);
        OPTIONS.checkRanges(this, o -> !o.label().contains("consumer"));
    }

    /** Checks what a consumer needs on top of {@link #validate()}. */
    void validateForConsumer() {
        if (channel == null || channel.isBlank()) {
            throw new io.nsqpush.config.InvalidValueException("channel", "channel is required to consume from nsq:"
                    + topic);
        }
        NsqNames.require("channel", channel);
        OPTIONS.checkRanges(this, o -> true);
        OPTIONS.checkOrder(this, "maxRequeueDelay", "requeueDelay");
        OPTIONS.checkOrder(this, "maxReconnectDelay", "reconnectDelay");
        OPTIONS.checkOrder(this, "maxBackoffDelay", "backoffDelay");
        checkRetryPolicy("retryPolicy", retryPolicy, "maxRequeueDelay", maxRequeueDelay);
    }

    /**
     * A CMQ policy's delays are its definition: rather than cap one silently (as nsqd does above its
     * --max-req-timeout), a maxRequeueDelay below its longest delay refuses the policy.
     */
    public static void checkRetryPolicy(String key, String policy, String maxKey, long maxRequeueDelay) {
        RetrySchedule schedule = RetrySchedule.of(RetrySchedule.policy(policy), 0, maxRequeueDelay, 1, null);
        if (schedule.policy() != RetrySchedule.Policy.NSQ && schedule.longestDelay() > maxRequeueDelay) {
            throw new InvalidValueException(key, policy, "REQs with delays up to "
                    + Durations.format(schedule.longestDelay()) + ", above " + maxKey + " ("
                    + Durations.format(maxRequeueDelay) + ", set it to nsqd's --max-req-timeout when that is lower"
                    + " than 1h)", "NSQ, or " + maxKey + " of at least " + Durations.format(schedule.longestDelay()));
        }
    }

    /** @return what the protocol client needs to IDENTIFY */
    NsqClientOptions toClientOptions() {
        return new NsqClientOptions(clientId != null ? clientId : shortHostname(), fullHostname(), userAgent,
                (int) heartbeatInterval, channel == null ? 0 : (int) msgTimeout, (int) connectTimeout, maxFrameSize,
                autoTouch, NsqTlsContexts.from(this), NsqCompression.parse(compression), deflateLevel, authSecret,
                (int) outputBufferTimeout);
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

    public NsqConfiguration copy() {
        try {
            return (NsqConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }

    // ------------------------------------------------------------------ accessors (their docs are the @UriParam's)

    public String getTopic() {
        return topic;
    }

    public void setTopic(String topic) {
        this.topic = topic;
    }

    public String getServers() {
        return servers;
    }

    public void setServers(String servers) {
        this.servers = servers;
    }

    public String getLookupd() {
        return lookupd;
    }

    public void setLookupd(String lookupd) {
        this.lookupd = lookupd;
    }

    public long getLookupdPollInterval() {
        return lookupdPollInterval;
    }

    public void setLookupdPollInterval(long lookupdPollInterval) {
        this.lookupdPollInterval = lookupdPollInterval;
    }

    public String getChannel() {
        return channel;
    }

    public void setChannel(String channel) {
        this.channel = channel;
    }

    public int getMaxInFlight() {
        return maxInFlight;
    }

    public void setMaxInFlight(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    public int getLookupdMaxBodySize() {
        return lookupdMaxBodySize;
    }

    public void setLookupdMaxBodySize(int lookupdMaxBodySize) {
        this.lookupdMaxBodySize = lookupdMaxBodySize;
    }

    public int getLookupdMaxProducers() {
        return lookupdMaxProducers;
    }

    public void setLookupdMaxProducers(int lookupdMaxProducers) {
        this.lookupdMaxProducers = lookupdMaxProducers;
    }

    public long getMaxInFlightBytes() {
        return maxInFlightBytes;
    }

    public void setMaxInFlightBytes(long maxInFlightBytes) {
        this.maxInFlightBytes = maxInFlightBytes;
    }

    /** @return maxInFlightBytes, or when 0 the default derived from the heap */
    long maxInFlightBytes() {
        return maxInFlightBytes > 0 ? maxInFlightBytes : ByteBudget.defaultBudget(Runtime.getRuntime().maxMemory());
    }

    public long getMsgTimeout() {
        return msgTimeout;
    }

    public void setMsgTimeout(long msgTimeout) {
        this.msgTimeout = msgTimeout;
    }

    public int getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public long getRequeueDelay() {
        return requeueDelay;
    }

    public void setRequeueDelay(long requeueDelay) {
        this.requeueDelay = requeueDelay;
    }

    public long getMaxRequeueDelay() {
        return maxRequeueDelay;
    }

    public void setMaxRequeueDelay(long maxRequeueDelay) {
        this.maxRequeueDelay = maxRequeueDelay;
    }

    public String getRetryPolicy() {
        return retryPolicy;
    }

    public void setRetryPolicy(String retryPolicy) {
        this.retryPolicy = retryPolicy;
    }

    public long getBackoffDelay() {
        return backoffDelay;
    }

    public void setBackoffDelay(long backoffDelay) {
        this.backoffDelay = backoffDelay;
    }

    public long getMaxBackoffDelay() {
        return maxBackoffDelay;
    }

    public void setMaxBackoffDelay(long maxBackoffDelay) {
        this.maxBackoffDelay = maxBackoffDelay;
    }

    public long getMaxProcessingTime() {
        return maxProcessingTime;
    }

    public void setMaxProcessingTime(long maxProcessingTime) {
        this.maxProcessingTime = maxProcessingTime;
    }

    public int getThreads() {
        return threads;
    }

    public void setThreads(int threads) {
        this.threads = threads;
    }

    public boolean isAutoTouch() {
        return autoTouch;
    }

    public void setAutoTouch(boolean autoTouch) {
        this.autoTouch = autoTouch;
    }

    public long getReconnectDelay() {
        return reconnectDelay;
    }

    public void setReconnectDelay(long reconnectDelay) {
        this.reconnectDelay = reconnectDelay;
    }

    public long getMaxReconnectDelay() {
        return maxReconnectDelay;
    }

    public void setMaxReconnectDelay(long maxReconnectDelay) {
        this.maxReconnectDelay = maxReconnectDelay;
    }

    public long getOutputBufferTimeout() {
        return outputBufferTimeout;
    }

    public void setOutputBufferTimeout(long outputBufferTimeout) {
        this.outputBufferTimeout = outputBufferTimeout;
    }

    public long getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(long heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public long getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(long connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public String getUserAgent() {
        return userAgent;
    }

    public void setUserAgent(String userAgent) {
        this.userAgent = userAgent;
    }

    public int getMaxFrameSize() {
        return maxFrameSize;
    }

    public void setMaxFrameSize(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
    }

    public boolean isTls() {
        return tls;
    }

    public void setTls(boolean tls) {
        this.tls = tls;
    }

    public String getTlsTrustStore() {
        return tlsTrustStore;
    }

    public void setTlsTrustStore(String tlsTrustStore) {
        this.tlsTrustStore = tlsTrustStore;
    }

    public String getTlsTrustStorePassword() {
        return tlsTrustStorePassword;
    }

    public void setTlsTrustStorePassword(String tlsTrustStorePassword) {
        this.tlsTrustStorePassword = tlsTrustStorePassword;
    }

    public String getTlsKeyStore() {
        return tlsKeyStore;
    }

    public void setTlsKeyStore(String tlsKeyStore) {
        this.tlsKeyStore = tlsKeyStore;
    }

    public String getTlsKeyStorePassword() {
        return tlsKeyStorePassword;
    }

    public void setTlsKeyStorePassword(String tlsKeyStorePassword) {
        this.tlsKeyStorePassword = tlsKeyStorePassword;
    }

    public boolean isTlsVerifyHostname() {
        return tlsVerifyHostname;
    }

    public void setTlsVerifyHostname(boolean tlsVerifyHostname) {
        this.tlsVerifyHostname = tlsVerifyHostname;
    }

    public String getAuthSecret() {
        return authSecret;
    }

    public void setAuthSecret(String authSecret) {
        this.authSecret = authSecret;
    }

    public String getCompression() {
        return compression;
    }

    public void setCompression(String compression) {
        this.compression = compression;
    }

    public int getDeflateLevel() {
        return deflateLevel;
    }

    public void setDeflateLevel(int deflateLevel) {
        this.deflateLevel = deflateLevel;
    }
}
