package io.nsqpush.push;

import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.nsqpush.Version;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.support.ExchangeHelper;

/**
 * Turns a consumed NSQ message into the CMQ push request (the README, "Formats"): the body in the
 * configured {@link PushFormat}, and the {@code x-cmq-*}, Content-Type, User-Agent headers and POST.
 *
 * <p>A bean for Camel YAML: set {@code format}, {@code topicOwner}, {@code tags}, {@code contentType} before the route
 * starts. Everything derived from them (the parsed owner, the joined tag header) is computed in the setters, so the
 * per-message work is only the body and the headers.
 *
 * <p>{@code x-cmq-request-id} is not set here: it is new for every HTTP request, so the delivery step sets it.
 */
public class CmqFormatter implements Processor {

    /** CMQ's own Content-Type, for both formats. */
    public static final String DEFAULT_CONTENT_TYPE = "text/plain";
    private static final String USER_AGENT = Version.userAgent();

    private static final java.util.regex.Pattern HEADER_NAME =
            java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** A ';' that starts another header: followed by a header name and a colon. */
    private static final java.util.regex.Pattern HEADER_SEPARATOR =
            java.util.regex.Pattern.compile(";(?=\\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\\s*:)");

    private PushFormat format = PushFormat.JSON;
    private String topicOwner = "";
    /** {@link Long} when {@link #topicOwner} is a plain number, else the String itself ({@code ""} when unset). */
    private Object topicOwnerValue = "";
    private String tags = "";
    /** The configured tags joined by {@code ", "}; null when there are none. */
    private String tagHeader;
    private String contentType = DEFAULT_CONTENT_TYPE;
    private String headers = "";
    /** The configured extra headers, parsed once. */
    private java.util.Map<String, String> extraHeaders = java.util.Map.of();

    @Override
    public void process(Exchange exchange) throws Exception {
        Message in = exchange.getIn();
        String messageId = ExchangeHelper.getMandatoryHeader(in, CmqHeaders.NSQ_MESSAGE_ID, String.class);
        // a reference, not a copy: the dead-letter route puts it back (cheaper than useOriginalMessage's copy)
        exchange.setProperty(CmqHeaders.ORIGINAL_BODY, in.getBody());
        if (format == PushFormat.JSON) {
            byte[] body = in.getBody(byte[].class);
            long publishTimeMs = ExchangeHelper.getMandatoryHeader(in, CmqHeaders.NSQ_TIMESTAMP, Long.class);
            in.setBody(CmqJsonBody.write(topicOwnerValue,
                    ExchangeHelper.getMandatoryHeader(in, CmqHeaders.NSQ_TOPIC, String.class),
                    ExchangeHelper.getMandatoryHeader(in, CmqHeaders.NSQ_CHANNEL, String.class),
                    messageId, body == null ? new byte[0] : body, publishTimeMs / 1000));
        }
        in.setHeader(CmqHeaders.MESSAGE_ID, messageId);
        String tag = in.getHeaders().containsKey(CmqHeaders.NSQ_MESSAGE_TAG)
                ? joinTags(in.getHeader(CmqHeaders.NSQ_MESSAGE_TAG))
                : tagHeader;
        if (tag == null) {
            in.removeHeader(CmqHeaders.MESSAGE_TAG);
        } else {
            in.setHeader(CmqHeaders.MESSAGE_TAG, tag);
        }
        in.setHeader(Exchange.CONTENT_TYPE, contentType);
        in.setHeader("User-Agent", USER_AGENT);
        extraHeaders.forEach(in::setHeader);
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

    public PushFormat getFormat() {
        return format;
    }

    public void setFormat(PushFormat format) {
        this.format = Objects.requireNonNull(format, "format");
    }

    /** For configuration by text: see {@link PushFormat#parse(String, String)}. */
    public void setFormat(String format) {
        this.format = PushFormat.parse("format", format);
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

    public String getHeaders() {
        return headers;
    }

    /** Static headers for every request, {@code Name: value} pairs separated by {@code ;}, e.g. {@code X-Env: prod}. */
    public void setHeaders(String headers) {
        this.headers = headers == null ? "" : headers;
        this.extraHeaders = parseHeaders(this.headers);
    }

    /**
     * @return the headers of {@code "A: 1; B: two"} in order. A {@code ;} separates headers only where a
     *         {@code Name:} follows, so that a value such as {@code text/plain; charset=utf-8} stays whole
     * @throws IllegalArgumentException naming the part that is not {@code Name: value}
     */
    public static java.util.Map<String, String> parseHeaders(String text) {
        java.util.Map<String, String> parsed = new java.util.LinkedHashMap<>();
        for (String part : HEADER_SEPARATOR.split(text)) {
            if (part.isBlank()) {
                continue;
            }
            int colon = part.indexOf(':');
            String name = colon < 0 ? "" : part.substring(0, colon).trim();
            if (!HEADER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + part.trim() + "' is not a header: allowed 'Name: value' pairs"
                        + " separated by ';', e.g. 'Authorization: Bearer abc; X-Env: prod'");
            }
            parsed.put(name, part.substring(colon + 1).trim());
        }
        return java.util.Collections.unmodifiableMap(parsed);
    }

    public void setContentType(String contentType) {
        this.contentType = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType.trim();
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
