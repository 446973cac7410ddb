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
 */
public record NsqClientOptions(String clientId, String hostname, String userAgent, int heartbeatIntervalMs,
                               int msgTimeoutMs, int connectTimeoutMs, int maxFrameSize, boolean autoTouch) {

    public static final int DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
}
