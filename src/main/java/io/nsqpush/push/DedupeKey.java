package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The receiver's dedupe key (sent as {@code webhook-id}): one message, one key. nsqd's message id alone is not one:
 * nsqd numbers messages per topic (time, node id, a sequence), so two topics, or two nsqds with the same node id (every
 * nsqd of a host started without {@code --node-id}), give the same id to different messages within a millisecond. A
 * message is named by the nsqd it lives on, its topic and its id; the key is {@code "msg_"} and the base64url (no
 * padding) of the first 16 bytes of SHA-256 over {@code "nsq-push/1\n<nsqd>\n<topic>\n<id>"}, 26 characters. The
 * channel is left out on purpose: every subscription of a topic gets its own copy of the same message, and they agree
 * on its key. {@code <nsqd>} is the address the consumer knows it by ({@code CamelNsqAddress}, host lowercased): what
 * lookupd announces (broadcast address and TCP port) or what nsq.nsqd-tcp-addresses names, the same across restarts,
 * where a resolved IP address could change under a running topic.
 * <p>
 * A key already on the exchange ({@value #HEADER}, e.g. put there from a dead-letter record by
 * {@link DeadLetterReplay}) is kept as it is, so that a message sent again under its original key keeps it.
 */
public final class DedupeKey {

    /** The exchange header that holds a message's key when it is known already (never sent as an HTTP header). */
    public static final String HEADER = "CamelPushDedupeKey";
    /** What a key looks like: msg_ and 22 base64url characters. */
    public static final Pattern FORM = Pattern.compile("msg_[A-Za-z0-9_-]{22}");
    private static final String VERSION = "nsq-push/1";
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    /**
     * The exchange property that keeps the key once worked out: the request, the delivery log and a dead-letter record
     * all ask for it, and a hash per ask showed in the profile.
     */
    private static final String COMPUTED = "CamelPushDedupeKeyComputed";
    /** MessageDigest.getInstance looks up the provider each time; a digest per thread is reset by digest(). */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });

    private DedupeKey() {
    }

    /**
     * @param nsqd  the nsqd's address as the consumer knows it (host:port)
     * @param topic the topic the message was published to
     * @param id    nsqd's 16-character message id
     * @return the key of that message
     */
    public static String of(String nsqd, String topic, String id) {
        String canonical = VERSION + "\n" + (nsqd == null ? "" : nsqd.toLowerCase(Locale.ROOT)) + "\n"
                + (topic == null ? "" : topic) + "\n" + (id == null ? "" : id);
        return "msg_" + BASE64URL.encodeToString(Arrays.copyOf(sha256(canonical), 16));
    }

    /**
     * @return the exchange's key: the one it carries ({@value #HEADER}) when that has the key's form, else the one of
     *         its NSQ message; for an exchange that did not come from {@code nsq:} and carries none, one of its
     *         exchange id (the same for the redeliveries of that exchange only)
     */
    public static String of(Exchange exchange) {
        Message in = exchange.getIn();
        String carried = in.getHeader(HEADER, String.class);
        if (carried != null && FORM.matcher(carried).matches()) {
            return carried;
        }
        String computed = exchange.getProperty(COMPUTED, String.class);
        if (computed == null) {
            computed = compute(exchange, in);
            exchange.setProperty(COMPUTED, computed);
        }
        return computed;
    }

    private static String compute(Exchange exchange, Message in) {
        String id = in.getHeader(NsqConstants.MESSAGE_ID, String.class);
        if (id == null) {
            return of("camel", exchange.getContext().getName(), exchange.getExchangeId());
        }
        return of(in.getHeader(NsqConstants.ADDRESS, String.class), in.getHeader(NsqConstants.TOPIC, String.class),
                id);
    }

    private static byte[] sha256(String text) {
        return SHA256.get().digest(text.getBytes(StandardCharsets.UTF_8));
    }
}
