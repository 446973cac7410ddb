package io.nsqpush.app;

import io.nsqpush.config.Durations;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.Range;
import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqLookupd;
import io.nsqpush.nsq.NsqNames;
import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.push.CmqFormatter;
import io.nsqpush.push.EndpointUrls;
import io.nsqpush.push.PushFormat;
import io.nsqpush.push.StatusCodes;
import io.nsqpush.push.WebhookSigner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every key of application.properties, declared once: default, allowed values, check and description. Start-up
 * validation, the defaults under application.properties, the README's settings table (generated, see
 * {@code docs/}), {@code --help} and the push template's parameters all come from this list.
 */
public final class Settings {

    /** The attempt budget may not exceed nsqd's default --max-msg-timeout: TOUCH cannot keep a message longer. */
    static final long MAX_ATTEMPT_MILLIS = NsqConfiguration.MAX_MSG_TIMEOUT_MS;
    /** Camel's default maximumRedeliveryDelay: no in-process redelivery waits longer. */
    static final long CAMEL_MAX_REDELIVERY_DELAY_MS = 60_000L;

    static final String TOPIC = "nsq.topic";
    static final String CHANNEL = "nsq.channel";
    static final String NSQD = "nsq.nsqd-tcp-addresses";
    static final String LOOKUPD = "nsq.lookupd-http-addresses";
    static final String URL = "push.url";
    static final String METHOD = "push.method";

    /** In the order of the README table and --help. */
    public static final List<Setting> ALL = List.of(
            Setting.custom(TOPIC, "topic", "", NsqNames.ALLOWED, Settings::nsqName,
                    "The topic to consume (required)."),
            Setting.custom(CHANNEL, "channel", "nsq-push", NsqNames.ALLOWED, Settings::nsqName,
                    "The channel (the subscription): every channel gets its own copy of each message; bridges on"
                            + " one channel share its messages."),
            Setting.custom(NSQD, "servers", "", "host:port, comma-separated", Settings::addresses,
                    "nsqd TCP addresses to consume from. Empty with no lookupd: localhost:4150."),
            Setting.custom(LOOKUPD, "lookupd", "", "host:port or http(s):// URLs, comma-separated",
                    Settings::lookupds, "nsqlookupd HTTP addresses: every nsqd producing the topic is found and"
                            + " consumed. Without nsqd addresses, dead letters go to the nsqd each message came from."),
            Setting.nsqOption("nsq.lookupd-poll-interval", "lookupdPollInterval", "lookupdPollInterval"),
            Setting.nsqOption("nsq.max-in-flight", "maxInFlight", "maxInFlight"),
            Setting.nsqOption("nsq.max-attempts", "maxAttempts", "maxAttempts"),
            Setting.nsqOption("nsq.msg-timeout", "msgTimeout", "msgTimeout"),
            Setting.nsqOption("nsq.threads", "threads", "threads"),

            Setting.custom(URL, "url", "", EndpointUrls.ALLOWED, (name, text) -> text,
                    "The endpoint(s) receiving every message (required). Several URLs: push.mode picks one per"
                            + " message, a failed request is tried on another first."),
            Setting.choice("push.mode", "mode", "hostpool", List.of("round-robin", "hostpool", "epsilon-greedy"),
                    "How a message picks one of several URLs: round-robin, or hostpool (prefer the URLs that"
                            + " answer, retry the others with back-off; epsilon-greedy is taken as hostpool)."),
            Setting.choice(METHOD, "method", "POST", List.of("POST", "GET"),
                    "POST the message, or GET with the URL-escaped body in place of %s in the URL (nsq_to_http"
                            + " --get)."),
            Setting.choice("push.format", "format", "JSON", Setting.words(PushFormat.values()),
                    "JSON: the CMQ envelope; SIMPLIFIED: the body byte for byte, metadata in x-cmq-* headers."),
            Setting.text("push.topic-owner", "owner", "",
                    "TopicOwner in the JSON envelope (a JSON number when all digits)."),
            Setting.text("push.tags", "tags", "", "Tags sent in x-cmq-message-tag, comma-separated."),
            Setting.text("push.content-type", "contentType", CmqFormatter.DEFAULT_CONTENT_TYPE,
                    "Content-Type of every POST (CMQ sends text/plain)."),
            Setting.custom("push.headers", "headers", "", "Name: value pairs separated by ;", Settings::headers,
                    "Static extra headers on every request, e.g. Authorization: Bearer abc; X-Env: prod."),
            Setting.secret("push.signing-secret", "signingSecret", WebhookSigner.ALLOWED,
                    (name, text) -> WebhookSigner.of(name, text),
                    "Signs every request as Standard Webhooks do (webhook-id, webhook-timestamp, webhook-signature);"
                            + " never logged."),
            Setting.duration("push.timeout", "timeout", "15s", Range.duration("1ms", "15m"),
                    "Deadline of one request: connect, send, status and the whole answer (CMQ: 15 s)."),
            Setting.duration("push.connect-timeout", "connectTimeout", "2s", Range.duration("1ms", "10m"),
                    "TCP connect timeout to the endpoint (within push.timeout)."),
            Setting.whole("push.redeliveries", "redeliveries", "2", Range.whole(0, 100),
                    "Quick re-POSTs within one attempt, the first after push.redelivery-delay, doubling."),
            Setting.duration("push.redelivery-delay", "redeliveryDelay", "500ms", Range.duration("0", "1h"),
                    "Delay before the first in-process redelivery."),
            Setting.nsqOption("push.requeue-delay", "requeueDelay", "requeueDelay"),
            Setting.nsqOption("push.max-requeue-delay", "maxRequeueDelay", "maxRequeueDelay"),
            Setting.nsqOption("push.pause", "backoffDelay", "backoffDelay"),
            Setting.nsqOption("push.max-pause", "maxBackoffDelay", "maxBackoffDelay"),
            Setting.duration("push.max-retry-after", "maxRetryAfter", "1h", Range.duration("1s", "1d"),
                    "The longest pause a Retry-After answer (429, 503) may ask for."),
            Setting.custom("push.dead-letter-on", "deadLetterOn", "", StatusCodes.ALLOWED, StatusCodes::parse,
                    "Statuses that can never succeed for that message (e.g. 400,404,410,413,422): dead-lettered at"
                            + " once. Empty: every failure is retried (CMQ)."),
            Setting.custom("push.success-on", "successOn", "", StatusCodes.ALLOWED, StatusCodes::parse,
                    "Statuses that count as delivered besides 2xx (e.g. 409: already have it)."),
            Setting.custom("push.sample", "sample", "1.0", "0.0..1.0", Settings::fraction,
                    "Share of messages delivered; the others are finished unsent (nsq_to_http --sample)."),
            Setting.custom("push.proxy", null, "", "host:port, or empty", Settings::proxy,
                    "An HTTP proxy for every endpoint; empty = direct."),
            Setting.custom("push.trust-store", null, "", "a readable PKCS12 or JKS file, or empty",
                    Settings::trustStore, "Trust store for https:// endpoints the JDK's CA list does not cover."),
            Setting.secret("push.trust-store-password", null, "any text", (name, text) -> text,
                    "Password of push.trust-store; never logged."),
            Setting.custom("dead-letter.uri", "deadLetterUri", "", "a Camel endpoint URI, or empty",
                    Settings::deadLetterUri, "Where dead letters are kept: any Camel URI (e.g. file:dead-letters)."
                            + " Empty: the NSQ topic <topic>.dead-letter, through the subscription's nsqd."),

            Setting.custom("status.interval", null, "60s", "0 (off) or 1s..1d", Settings::statusInterval,
                    "A status line per subscription this often."),
            Setting.whole("status.every", null, "0", Range.whole(0, Integer.MAX_VALUE),
                    "Also a status line every this many deliveries (nsq_to_http --status-every); 0 = off."),
            Setting.text("routes.directory", null, "routes", "The YAML routes: templates, subscriptions, the"
                    + " dead-letter route."),
            Setting.bool("routes.reload-enabled", null, "true",
                    "Saving a file under routes.directory reloads the routes (in-flight messages finish first)."),
            Setting.custom("replay.from", null, "nsq:{{nsq.topic}}.dead-letter?channel=replay"
                            + "&servers={{nsq.nsqd-tcp-addresses}}&lookupd={{nsq.lookupd-http-addresses}}",
                    "a Camel endpoint URI", Settings::camelUri, "Where replay reads dead-letter records."),
            Setting.custom("replay.rejected-uri", null, "file:replay-rejected", "a Camel endpoint URI",
                    Settings::camelUri, "Where replay keeps records it cannot replay (bad topic, not a record)."));

    private static final Map<String, Setting> BY_KEY = index(Setting::key);
    private static final Map<String, Setting> BY_PARAMETER = index(Setting::parameter);

    private Settings() {
    }

    /** @throws IllegalArgumentException when there is no such setting (a programming error) */
    public static Setting get(String key) {
        Setting setting = BY_KEY.get(key);
        if (setting == null) {
            throw new IllegalArgumentException("no setting " + key);
        }
        return setting;
    }

    public static Optional<Setting> find(String key) {
        return Optional.ofNullable(BY_KEY.get(key));
    }

    /** @return the setting a template parameter takes its default from */
    public static Optional<Setting> forParameter(String parameter) {
        return Optional.ofNullable(BY_PARAMETER.get(parameter));
    }

    /** @return every key with its default, the lowest layer of the bridge's properties */
    static Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        ALL.forEach(s -> defaults.put(s.key(), s.defaultValue()));
        return defaults;
    }

    /**
     * Checks every setting as resolved (application.properties, -D, environment, flags, then the defaults), then the
     * ones that depend on each other.
     *
     * @throws InvalidValueException naming the key, the value and what is allowed
     */
    static void validate(Function<String, Optional<String>> properties) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Setting setting : ALL) {
            values.put(setting.key(), setting.parse(properties.apply(setting.key()).orElse("")));
        }
        require(values, TOPIC);
        require(values, URL);
        boolean get = "GET".equals(values.get(METHOD));
        EndpointUrls.parse(URL, (String) values.get(URL), get);
        long timeout = (Long) values.get("push.timeout");
        long redeliveries = (Long) values.get("push.redeliveries");
        long redeliveryDelay = (Long) values.get("push.redelivery-delay");
        long attempt = attemptMillis(timeout, redeliveries, redeliveryDelay);
        if (attempt > MAX_ATTEMPT_MILLIS) {
            throw new InvalidValueException("push.redeliveries", "push.redeliveries " + redeliveries + " with"
                    + " push.timeout " + Durations.format(timeout) + " and push.redelivery-delay "
                    + Durations.format(redeliveryDelay) + ": one attempt can take " + Durations.format(attempt)
                    + ", above nsqd's default --max-msg-timeout of " + Durations.format(MAX_ATTEMPT_MILLIS)
                    + " (nsqd would give the message to another consumer meanwhile); allowed: fewer redeliveries or"
                    + " shorter times");
        }
        order(values, "push.max-requeue-delay", "push.requeue-delay");
        order(values, "push.max-pause", "push.pause");
        StatusCodes deadLetterOn = (StatusCodes) values.get("push.dead-letter-on");
        StatusCodes successOn = (StatusCodes) values.get("push.success-on");
        if (deadLetterOn.hasSuccess()) {
            throw new InvalidValueException("push.dead-letter-on", deadLetterOn.toString(), "holds a 2xx status,"
                    + " which is always delivered", StatusCodes.ALLOWED + " outside 200-299");
        }
        if (deadLetterOn.intersects(successOn)) {
            throw new InvalidValueException("push.success-on", successOn.toString(), "shares statuses with"
                    + " push.dead-letter-on (" + deadLetterOn + ")", "statuses that are not in push.dead-letter-on");
        }
    }

    /** The longest one attempt can take: every request timing out, and Camel's redelivery delays (capped at 60 s). */
    static long attemptMillis(long timeout, long redeliveries, long redeliveryDelay) {
        long total = (redeliveries + 1) * timeout;
        long delay = redeliveryDelay;
        for (long i = 0; i < redeliveries; i++) {
            total += Math.min(delay, CAMEL_MAX_REDELIVERY_DELAY_MS);
            delay = Math.min(delay * 2, CAMEL_MAX_REDELIVERY_DELAY_MS);
        }
        return total;
    }

    private static void require(Map<String, Object> values, String key) {
        Object value = values.get(key);
        if (value == null || value.toString().isBlank()) {
            throw new InvalidValueException(key, key + " is not set: add it to application.properties or pass --"
                    + key + "=…");
        }
    }

    private static void order(Map<String, Object> values, String larger, String smaller) {
        long large = (Long) values.get(larger);
        long small = (Long) values.get(smaller);
        if (large < small) {
            throw new InvalidValueException(larger, Durations.format(large), "is below " + smaller + " ("
                    + Durations.format(small) + ")", "at least " + smaller);
        }
    }

    // ------------------------------------------------------------------------------------------ value checks

    private static Object nsqName(String name, String text) {
        String value = text == null ? "" : text.trim();
        return value.isEmpty() ? "" : NsqNames.require(name, value);
    }

    private static Object addresses(String name, String text) {
        return NsqAddress.parseList(name, text);
    }

    private static Object lookupds(String name, String text) {
        for (String address : (text == null ? "" : text).split(",")) {
            if (!address.isBlank()) {
                try {
                    NsqLookupd.baseUri(address);
                } catch (IllegalArgumentException e) {
                    throw new InvalidValueException(name, text, "is not a list of nsqlookupd addresses",
                            "comma-separated host:port or http(s):// URLs, e.g. 127.0.0.1:4161");
                }
            }
        }
        return text == null ? "" : text.trim();
    }

    private static Object headers(String name, String text) {
        try {
            return CmqFormatter.parseHeaders(text == null ? "" : text);
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(name, text, "is not a list of headers", "'Name: value' pairs"
                    + " separated by ';', e.g. 'Authorization: Bearer abc; X-Env: prod'");
        }
    }

    private static Object fraction(String name, String text) {
        try {
            double value = Double.parseDouble(text == null ? "" : text.trim());
            if (value >= 0 && value <= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidValueException(name, text, "is not a share of messages", "a number from 0.0 to 1.0");
    }

    private static Object statusInterval(String name, String text) {
        long millis = Range.duration("0", "1d").parse(name, text);
        if (millis != 0 && millis < 1_000) {
            throw new InvalidValueException(name, text, "is out of range", "0 (off) or 1s..1d");
        }
        return millis;
    }

    private static Object proxy(String name, String text) {
        String value = text == null ? "" : text.trim();
        if (value.isEmpty()) {
            return "";
        }
        try {
            return NsqAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(name, value, "is not an address of the form host:port",
                    "host:port, or empty");
        }
    }

    private static Object trustStore(String name, String text) {
        String value = text == null ? "" : text.trim();
        if (!value.isEmpty() && !Files.isReadable(Path.of(value))) {
            throw new InvalidValueException(name, value, "is not a readable file", "a PKCS12 or JKS trust store,"
                    + " or empty for the JDK's CA list");
        }
        return value;
    }

    private static Object camelUri(String name, String text) {
        String value = text == null ? "" : text.trim();
        if (!value.isEmpty() && !value.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.+")) {
            throw new InvalidValueException(name, io.nsqpush.push.Redaction.uri(value), "is not a Camel endpoint"
                    + " URI", "scheme:path, e.g. nsq:orders.dead-letter or file:dead-letters");
        }
        return value;
    }

    private static Object deadLetterUri(String name, String text) {
        String value = (String) camelUri(name, text);
        if (value.startsWith("nsq:")) {
            String topic = value.substring(4).split("\\?", 2)[0];
            if (!NsqNames.isValid(topic) || topic.endsWith("#ephemeral")) {
                throw new InvalidValueException(name, io.nsqpush.push.Redaction.uri(value), "names the topic '"
                        + topic + "', which is not a valid NSQ topic to keep dead letters in", NsqNames.ALLOWED
                        + ", not ephemeral (the default <topic>.dead-letter needs a topic of at most 52 characters)");
            }
        }
        return value;
    }

    private static Map<String, Setting> index(Function<Setting, String> key) {
        Map<String, Setting> index = new LinkedHashMap<>();
        for (Setting setting : ALL) {
            String name = key.apply(setting);
            if (name != null && index.put(name, setting) != null) {
                throw new IllegalStateException("declared twice: " + name);
            }
        }
        return index;
    }
}
