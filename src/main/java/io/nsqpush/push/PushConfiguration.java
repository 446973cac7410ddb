package io.nsqpush.push;

import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.OptionRange;
import io.nsqpush.config.Options;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.spi.UriPath;

/**
 * Every option of a {@code push:} endpoint; the component holds one as the default for its endpoints, so that
 * {@code camel.component.push.<option>} applies wherever an endpoint does not set the option. Each default is declared
 * once, in its {@code @UriParam}, and the allowed range of a number or duration in its {@link OptionRange}; see
 * {@link Options}. Durations are kept in milliseconds.
 */
@UriParams
public class PushConfiguration implements Cloneable {

    /** The declarations below, read once. */
    public static final Options OPTIONS = Options.of(PushConfiguration.class);

    @UriPath(description = "The endpoint: an absolute http:// or https:// URL, or several separated by commas"
            + " (a comma inside a URL is written %2C). A URL with a query of its own is given as the url option,"
            + " url=RAW(https://host/in?token=abc)")
    @Metadata(required = true, secret = true)
    private String url;
    @UriParam(defaultValue = "JSON", enums = "JSON,SIMPLIFIED", description = "JSON: the CMQ envelope (TopicOwner,"
            + " topicName, subscriptionName, msgId, msgBody, publishTime); SIMPLIFIED: the body as it is, metadata in"
            + " x-cmq-* headers only")
    private String format;
    @UriParam(description = "TopicOwner in the JSON envelope (a JSON number when all digits)")
    private String topicOwner;
    @UriParam(description = "Tags sent in x-cmq-message-tag, comma-separated; a CamelNsqMessageTag header overrides"
            + " them")
    private String tags;
    @UriParam(defaultValue = "text/plain", description = "Content-Type of every POST (CMQ sends text/plain)")
    private String contentType;
    @UriParam(label = "security", secret = true, description = "Static headers on every request, Name: value pairs"
            + " separated by ;, e.g. Authorization: Bearer abc; X-Env: prod. The exchange's own headers (but Camel's)"
            + " are sent too")
    private String headers;
    @UriParam(label = "security", secret = true, description = "Signs every request as Standard Webhooks do"
            + " (webhook-id, webhook-timestamp, webhook-signature): whsec_ followed by a base64 key; several, separated"
            + " by spaces or commas, sign with each (one v1,<signature> per secret) so that a receiver can rotate;"
            + " never logged")
    private String signingSecret;
    @UriParam(defaultValue = "hostpool", enums = "round-robin,hostpool,epsilon-greedy", description = "How a message"
            + " picks one of several URLs: round-robin, or hostpool (prefer the URLs that answer, retry the others"
            + " with back-off; epsilon-greedy is taken as hostpool). A failed request is tried on another URL first")
    private String mode;
    @UriParam(defaultValue = "POST", enums = "POST,GET", description = "POST the message, or GET with the"
            + " URL-escaped body in place of %s in the URL (nsq_to_http --get; then only 200 delivers)")
    private String method;
    @UriParam(defaultValue = "15s", javaType = "java.time.Duration", description = "Deadline of one request once it"
            + " has a connection: sending, the status and the whole answer (CMQ: 15 s)")
    @OptionRange(min = "1ms", max = "15m")
    private long timeout;
    @UriParam(defaultValue = "1h", javaType = "java.time.Duration", description = "The longest pause a Retry-After"
            + " answer (429, 503) may ask for")
    @OptionRange(min = "1s", max = "1d")
    private long maxRetryAfter;
    @UriParam(description = "HTTP statuses that can never succeed for that message (e.g. 400,404,410,413,422):"
            + " dead-lettered at once; ranges like 400-499. Empty: every failure is retried (CMQ)")
    private String deadLetterOn;
    @UriParam(description = "HTTP statuses that count as delivered besides 2xx (e.g. 409: already have it)")
    private String successOn;
    @UriParam(defaultValue = "1.0", description = "Share of messages sent, 0.0 to 1.0; the others complete unsent"
            + " (nsq_to_http --sample)")
    @OptionRange(min = "0.0", max = "1.0")
    private double sample;
    @UriParam(defaultValue = "0", description = "Requests per second at most, over all the endpoint's URLs together"
            + " (a subscription's push: endpoint); 0: none, the rate then adapts to the endpoint's 429 and 503"
            + " answers. Messages waiting for their turn stay in flight, TOUCHed")
    @OptionRange(min = "0", max = "1000000")
    private double rateLimit;
    @UriParam(defaultValue = "0", description = "Requests at once at most, over all the endpoint's URLs together"
            + " (nsq_to_http --n); 0: none beyond maxInFlight. Messages waiting for their turn stay in flight,"
            + " TOUCHed")
    @OptionRange(min = "0", max = "65535")
    private int concurrency;

    public PushConfiguration() {
        OPTIONS.applyDefaults(this);
    }

    /** Checks what cannot be checked option by option; the message names the option, the value, what is allowed. */
    void validate() {
        OPTIONS.normalizeWords(this);
        EndpointUrls.parse("url", url, isGet());
        StatusCodes dead = StatusCodes.parse("deadLetterOn", deadLetterOn);
        StatusCodes success = StatusCodes.parse("successOn", successOn);
        if (dead.hasSuccess()) {
            throw new InvalidValueException("deadLetterOn", dead.toString(), "holds a 2xx status, which is always"
                    + " delivered", StatusCodes.ALLOWED + " outside 200-299");
        }
        if (dead.intersects(success)) {
            throw new InvalidValueException("successOn", success.toString(), "shares statuses with deadLetterOn ("
                    + dead + ")", "statuses that are not in deadLetterOn");
        }
        OPTIONS.get("sample").parse("sample", String.valueOf(sample));
        OPTIONS.get("rateLimit").parse("rateLimit", String.valueOf(rateLimit));
        CmqFormat.parseHeaders("headers", headers);
        WebhookSigner.of("signingSecret", signingSecret);
        OPTIONS.checkRanges(this, o -> true);
    }

    boolean isGet() {
        return "GET".equals(method);
    }

    public PushConfiguration copy() {
        try {
            return (PushConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }

    // ------------------------------------------------------------------ accessors (their docs are the @UriParam's)

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public String getFormat() {
        return format;
    }

    public void setFormat(String format) {
        this.format = format;
    }

    public String getTopicOwner() {
        return topicOwner;
    }

    public void setTopicOwner(String topicOwner) {
        this.topicOwner = topicOwner;
    }

    public String getTags() {
        return tags;
    }

    public void setTags(String tags) {
        this.tags = tags;
    }

    public String getContentType() {
        return contentType;
    }

    public void setContentType(String contentType) {
        this.contentType = contentType;
    }

    public String getHeaders() {
        return headers;
    }

    public void setHeaders(String headers) {
        this.headers = headers;
    }

    public String getSigningSecret() {
        return signingSecret;
    }

    public void setSigningSecret(String signingSecret) {
        this.signingSecret = signingSecret;
    }

    public String getMode() {
        return mode;
    }

    public void setMode(String mode) {
        this.mode = mode;
    }

    public String getMethod() {
        return method;
    }

    public void setMethod(String method) {
        this.method = method;
    }

    public long getTimeout() {
        return timeout;
    }

    public void setTimeout(long timeout) {
        this.timeout = timeout;
    }

    public long getMaxRetryAfter() {
        return maxRetryAfter;
    }

    public void setMaxRetryAfter(long maxRetryAfter) {
        this.maxRetryAfter = maxRetryAfter;
    }

    public String getDeadLetterOn() {
        return deadLetterOn;
    }

    public void setDeadLetterOn(String deadLetterOn) {
        this.deadLetterOn = deadLetterOn;
    }

    public String getSuccessOn() {
        return successOn;
    }

    public void setSuccessOn(String successOn) {
        this.successOn = successOn;
    }

    public double getSample() {
        return sample;
    }

    public void setSample(double sample) {
        this.sample = sample;
    }

    public double getRateLimit() {
        return rateLimit;
    }

    public void setRateLimit(double rateLimit) {
        this.rateLimit = rateLimit;
    }

    public int getConcurrency() {
        return concurrency;
    }

    public void setConcurrency(int concurrency) {
        this.concurrency = concurrency;
    }
}
