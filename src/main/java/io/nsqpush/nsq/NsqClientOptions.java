package io.nsqpush.nsq;

/**
 * What a connection tells nsqd in IDENTIFY and how it guards itself.
 *
 * @param clientId            IDENTIFY client_id, shown in nsqd's stats
 * @param hostname            IDENTIFY hostname
 * @param userAgent           IDENTIFY user_agent
 * @param heartbeatIntervalMs how often nsqd sends {@code _heartbeat_} (1000..60000); silence for twice that closes the link
 * @param msgTimeoutMs        how long nsqd waits for FIN/REQ/TOUCH before it redelivers a message; 0 = nsqd's default
 * @param connectTimeoutMs    TCP connect timeout
 * @param maxFrameSize        largest frame accepted from nsqd; a larger size field is taken as a corrupt stream
 * @param autoTouch           TOUCH messages still unanswered after half the negotiated msg timeout
 * @param tls                 TLS to ask nsqd for, or null
 * @param compression         stream compression to ask nsqd for
 * @param deflateLevel        1..9 when compression is DEFLATE (nsqd caps it at its --max-deflate-level)
 * @param authSecret          the secret sent with AUTH when nsqd requires it, or null; never logged
 * @param outputBufferTimeoutMs how long nsqd may keep messages for us in its write buffer before it sends them
 *                            (IDENTIFY output_buffer_timeout); 0 = nsqd's default (250 ms), -1 = no buffering
 */
public record NsqClientOptions(String clientId, String hostname, String userAgent, int heartbeatIntervalMs,
                               int msgTimeoutMs, int connectTimeoutMs, int maxFrameSize, boolean autoTouch,
                               NsqTls tls, NsqCompression compression, int deflateLevel, String authSecret,
                               int outputBufferTimeoutMs) {

    public static final int DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

    /** Plain connection options: no TLS, no compression, no AUTH. */
    public NsqClientOptions(String clientId, String hostname, String userAgent, int heartbeatIntervalMs,
                            int msgTimeoutMs, int connectTimeoutMs, int maxFrameSize, boolean autoTouch) {
        this(clientId, hostname, userAgent, heartbeatIntervalMs, msgTimeoutMs, connectTimeoutMs, maxFrameSize,
                autoTouch, null, NsqCompression.NONE, 6, null, 0);
    }

    @Override
    public String toString() {
        // a record's toString would print the secret
        return "NsqClientOptions[clientId=" + clientId + ", tls=" + (tls != null) + ", compression=" + compression
                + ", auth=" + (authSecret != null) + "]";
    }
}
