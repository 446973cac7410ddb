package io.nsqpush.push;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.nsqpush.Version;
import io.nsqpush.component.NsqConstants;
import io.nsqpush.config.InvalidValueException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.support.ExchangeHelper;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A consumed NSQ message as a CMQ push (the README, "Formats"): the body in a {@link PushFormat} and the
 * {@code x-cmq-*}, Content-Type and User-Agent headers. The {@code push:} producer formats every request with one of
 * these (its format, topicOwner, tags, contentType and headers options), without changing the exchange.
 * <p>
 * It is also a step of its own, for a route that transforms the formatted message before sending it:
 * {@code - process: {ref: "#class:io.nsqpush.push.CmqFormat"}} replaces the body with the JSON envelope (or leaves it,
 * in SIMPLIFIED) and sets the headers on the message; a {@code push:...?format=SIMPLIFIED} then sends that as it is.
 * As a bean its properties are format, topicOwner, tags, contentType and headers.
 * <p>{@code x-cmq-request-id} is not set here: it is new for every HTTP request, so the producer sets it.
 */
public class CmqFormat implements Processor {

    /** CMQ's own Content-Type, for both formats. */
    public static final String DEFAULT_CONTENT_TYPE = "text/plain";
    static final String USER_AGENT = Version.userAgent();

    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** A ';' that starts another header: followed by a header name and a colon. */
    private static final Pattern HEADER_SEPARATOR = Pattern.compile(";(?=\\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\\s*:)");

    private PushFormat format = PushFormat.JSON;
    private String topicOwner = "";
    /** {@link Long} when {@link #topicOwner} is a plain number, else the String itself ({@code ""} when unset). */
    private Object topicOwnerValue = "";
    private String tags = "";
    /** The configured tags joined by {@code ", "}; null when there are none. */
    private String tagHeader;
    private String contentType = DEFAULT_CONTENT_TYPE;
    private String headers = "";
    private Map<String, String> extraHeaders = Map.of();

    public CmqFormat() {
    }

    /** The format of a {@code push:} endpoint's options. */
    CmqFormat(PushConfiguration configuration) {
        setFormat(configuration.getFormat());
        setTopicOwner(configuration.getTopicOwner());
        setTags(configuration.getTags());
        setContentType(configuration.getContentType());
        this.headers = configuration.getHeaders() == null ? "" : configuration.getHeaders();
        this.extraHeaders = parseHeaders("headers", this.headers);
    }

    /** As a step: the body becomes the request's body, the headers are set on the message. */
    @Override
    public void process(Exchange exchange) throws Exception {
        Message in = exchange.getIn();
        if (format == PushFormat.JSON) {
            in.setBody(jsonBytes(in));
        }
        headers(in, in::setHeader);
        if (tag(in) == null) {
            in.removeHeader(CmqHeaders.MESSAGE_TAG);
        }
    }

    /**
     * @return the request body for the message: the envelope around the body, or the body itself; the buffer may
     *         share the message's bytes
     */
    ByteBuf body(Message in) throws Exception {
        byte[] body = in.getBody(byte[].class);
        if (format == PushFormat.SIMPLIFIED) {
            return body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        }
        return json(in, body);
    }

    private ByteBuf json(Message in, byte[] body) throws Exception {
        return CmqJsonBody.write(topicOwnerValue,
                ExchangeHelper.getMandatoryHeader(in, NsqConstants.TOPIC, String.class),
                ExchangeHelper.getMandatoryHeader(in, NsqConstants.CHANNEL, String.class),
                ExchangeHelper.getMandatoryHeader(in, NsqConstants.MESSAGE_ID, String.class),
                body == null ? new byte[0] : body,
                ExchangeHelper.getMandatoryHeader(in, NsqConstants.TIMESTAMP, Long.class) / 1000);
    }

    private byte[] jsonBytes(Message in) throws Exception {
        ByteBuf envelope = json(in, in.getBody(byte[].class));
        try {
            return io.netty.buffer.ByteBufUtil.getBytes(envelope);
        } finally {
            envelope.release();
        }
    }

    /** Gives the request its CMQ headers: message id, topic (SIMPLIFIED), tags, Content-Type, User-Agent and the configured extras. */
    void headers(Message in, BiConsumer<String, Object> header) throws Exception {
        String id = in.getHeader(NsqConstants.MESSAGE_ID, String.class);
        if (id != null) {
            header.accept(CmqHeaders.MESSAGE_ID, id);
        }
        String topic = format == PushFormat.SIMPLIFIED ? in.getHeader(NsqConstants.TOPIC, String.class) : null;
        if (topic != null) {
            header.accept(CmqHeaders.TOPIC_NAME, topic);
        }
        String tag = tag(in);
        if (tag != null) {
            header.accept(CmqHeaders.MESSAGE_TAG, tag);
        }
        header.accept(Exchange.CONTENT_TYPE, contentType);
        header.accept("User-Agent", USER_AGENT);
        extraHeaders.forEach(header);
    }

    /** @return the tags for this message: from a {@code CamelNsqMessageTag} header, else the configured ones */
    private String tag(Message in) {
        return in.getHeaders().containsKey(CmqHeaders.NSQ_MESSAGE_TAG)
                ? joinTags(in.getHeader(CmqHeaders.NSQ_MESSAGE_TAG)) : tagHeader;
    }

    PushFormat format() {
        return format;
    }

    /**
     * Joins tags for {@code x-cmq-message-tag}: a String is split on commas, a Collection or array taken element by
     * element; each tag is trimmed and blanks are dropped.
     *
     * @return e.g. {@code "a, b"}, or null when there are no tags (then the header is left out)
     */
    public static String joinTags(Object tags) {
        Stream<?> parts;
        if (tags == null) {
            return null;
        } else if (tags instanceof Collection<?> collection) {
            parts = collection.stream();
        } else if (tags instanceof Object[] array) {
            parts = Arrays.stream(array);
        } else {
            parts = Arrays.stream(tags.toString().split(","));
        }
        String joined = parts.filter(Objects::nonNull).map(part -> part.toString().trim())
                .filter(part -> !part.isEmpty()).collect(Collectors.joining(", "));
        return joined.isEmpty() ? null : joined;
    }

    /**
     * @param key what an error names
     * @return the headers of {@code "A: 1; B: two"} in order. A {@code ;} separates headers only where a
     *         {@code Name:} follows, so that a value such as {@code text/plain; charset=utf-8} stays whole
     * @throws InvalidValueException naming the part that is not {@code Name: value}, its value masked
     */
    public static Map<String, String> parseHeaders(String key, String text) {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String part : HEADER_SEPARATOR.split(text == null ? "" : text)) {
            if (part.isBlank()) {
                continue;
            }
            int colon = part.indexOf(':');
            String name = colon < 0 ? "" : part.substring(0, colon).trim();
            if (!HEADER_NAME.matcher(name).matches()) {
                // the malformed part may be a credential whose name is missing or misspelt: shown only when it
                // names nothing secret-like ("Authorization Bearer …" is not shown)
                String lower = part.toLowerCase(java.util.Locale.ROOT);
                String shown = Redaction.isCredentialHeader(part) || lower.contains("bearer") || lower.contains("basic")
                        ? Redaction.headers(text).replace(part, Redaction.MASK) : Redaction.headers(text);
                throw new InvalidValueException(key, shown, "is not a list of headers",
                        "'Name: value' pairs separated by ';', e.g. 'X-Env: prod; Authorization: Bearer …'");
            }
            parsed.put(name, part.substring(colon + 1).trim());
        }
        return Collections.unmodifiableMap(parsed);
    }

    // ------------------------------------------------------------------------------------- bean properties

    public PushFormat getFormat() {
        return format;
    }

    /** @param format JSON or SIMPLIFIED, any case */
    public void setFormat(String format) {
        this.format = PushFormat.parse("format", format == null ? "JSON" : format);
    }

    public String getTopicOwner() {
        return topicOwner;
    }

    /**
     * The owner for {@code TopicOwner}: written as a JSON number when it is all digits, fits a long and has no leading
     * zero (a number would lose it), else as a JSON string; unset or blank is written as {@code ""}.
     */
    public void setTopicOwner(String topicOwner) {
        this.topicOwner = topicOwner == null ? "" : topicOwner.trim();
        this.topicOwnerValue = parseOwner(this.topicOwner);
    }

    public String getTags() {
        return tags;
    }

    /** Comma-separated tags for every message, e.g. {@code a,b}; a {@code CamelNsqMessageTag} header overrides them. */
    public void setTags(String tags) {
        this.tags = tags == null ? "" : tags;
        this.tagHeader = joinTags(this.tags);
    }

    public String getContentType() {
        return contentType;
    }

    public void setContentType(String contentType) {
        this.contentType = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType.trim();
    }

    public String getHeaders() {
        return headers;
    }

    /** Static headers for every request, {@code Name: value} pairs separated by {@code ;}, e.g. {@code X-Env: prod}. */
    public void setHeaders(String headers) {
        this.headers = headers == null ? "" : headers;
        this.extraHeaders = parseHeaders("headers", this.headers);
    }

    private static Object parseOwner(String owner) {
        boolean digits = !owner.isEmpty() && owner.chars().allMatch(c -> c >= '0' && c <= '9');
        if (digits && (owner.length() == 1 || owner.charAt(0) != '0')) {
            try {
                return Long.parseLong(owner);
            } catch (NumberFormatException tooLong) {
                return owner;
            }
        }
        return owner;
    }
}
