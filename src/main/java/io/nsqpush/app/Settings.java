package io.nsqpush.app;

import io.nsqpush.component.NsqComponent;
import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.config.Durations;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.Options;
import io.nsqpush.config.Range;
import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqLookupd;
import io.nsqpush.nsq.NsqNames;
import io.nsqpush.push.CmqFormat;
import io.nsqpush.push.EndpointUrls;
import io.nsqpush.push.PushComponent;
import io.nsqpush.push.PushConfiguration;
import io.nsqpush.push.PushRedelivery;
import io.nsqpush.push.Redaction;
import io.nsqpush.push.StatusCodes;
import io.nsqpush.push.WebhookSigner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every key of application.properties, declared once. Most are aliases of an option of the {@code nsq:} or
 * {@code push:} component ({@link Setting.Alias}), with that option's default, range and text: {@code nsq.msg-timeout}
 * and {@code camel.component.nsq.msg-timeout} are one option, set for every endpoint that does not set its own. The
 * others belong to the bridge (its routes, status line, replay). Start-up validation, the README's settings table
 * (generated, see {@code docs/}) and {@code --help} come from this list.
 */
public final class Settings {

    /** The attempt budget may not exceed nsqd's default --max-msg-timeout: TOUCH cannot keep a message longer. */
    static final long MAX_ATTEMPT_MILLIS = NsqConfiguration.MAX_MSG_TIMEOUT_MS;

    static final String TOPIC = "nsq.topic";
    static final String CHANNEL = "nsq.channel";
    static final String NSQD = "nsq.nsqd-tcp-addresses";
    static final String LOOKUPD = "nsq.lookupd-http-addresses";
    static final String URL = "push.url";
    static final String METHOD = "push.method";
    static final String DELIVERIES_KEPT = "status.deliveries-kept";
    static final String DELIVERIES_KEPT_BYTES = "status.deliveries-kept-bytes";

    /** The prefixes under which every key must be one of ours: a misspelt key stops start-up. */
    static final List<String> OUR_PREFIXES = List.of("nsq.", "push.", "dead-letter.", "status.", "routes.",
            "replay.", "camel.component.nsq.", "camel.component.push.");

    private static final Options NSQ = NsqConfiguration.OPTIONS;
    private static final Options PUSH = PushConfiguration.OPTIONS;

    /** In the order of the README table and --help. */
    public static final List<Setting> ALL = List.of(
            Setting.custom(TOPIC, "topic", "", NsqNames.ALLOWED, Settings::nsqName,
                    "The topic the shipped subscription (routes/push.yaml) consumes."),
            Setting.option(CHANNEL, "nsq", NSQ, "channel").checked(NsqNames.ALLOWED, Settings::nsqName),
            Setting.option(NSQD, "nsq", NSQ, "servers").checked("host:port, comma-separated", Settings::addresses),
            Setting.option(LOOKUPD, "nsq", NSQ, "lookupd").checked("host:port or http(s):// URLs, comma-separated",
                    Settings::lookupds),
            Setting.option("nsq.lookupd-poll-interval", "nsq", NSQ, "lookupdPollInterval"),
            Setting.option("nsq.max-in-flight", "nsq", NSQ, "maxInFlight"),
            Setting.option("nsq.max-in-flight-bytes", "nsq", NSQ, "maxInFlightBytes"),
            Setting.option("nsq.max-attempts", "nsq", NSQ, "maxAttempts"),
            Setting.option("nsq.msg-timeout", "nsq", NSQ, "msgTimeout"),
            Setting.option("nsq.threads", "nsq", NSQ, "threads"),

            Setting.custom(URL, "url", "", EndpointUrls.ALLOWED, (name, text) -> text,
                    "The endpoint(s) of every subscription that names none: several URLs separated by commas,"
                            + " push.mode picks one per message, a failed request is tried on another first."),
            Setting.option("push.mode", "push", PUSH, "mode"),
            Setting.option(METHOD, "push", PUSH, "method"),
            Setting.option("push.format", "push", PUSH, "format"),
            Setting.option("push.topic-owner", "push", PUSH, "topicOwner"),
            Setting.option("push.tags", "push", PUSH, "tags"),
            Setting.option("push.content-type", "push", PUSH, "contentType"),
            Setting.option("push.headers", "push", PUSH, "headers").checked("Name: value pairs separated by ;",
                    (name, text) -> CmqFormat.parseHeaders(name, text)),
            Setting.option("push.signing-secret", "push", PUSH, "signingSecret").checked(WebhookSigner.ALLOWED,
                    WebhookSigner::of),
            Setting.option("push.timeout", "push", PUSH, "timeout"),
            Setting.componentOption("push.connect-timeout", "push", PushComponent.OPTIONS, "connectTimeout"),
            Setting.componentOption("push.max-connections-per-host", "push", PushComponent.OPTIONS,
                    "maxConnectionsPerHost"),
            Setting.componentOption("push.max-header-size", "push", PushComponent.OPTIONS, "maxHeaderSize"),
            Setting.declared("push.redeliveries", "redeliveries", PushRedelivery.OPTIONS.get("redeliveries")),
            Setting.declared("push.redelivery-delay", "redeliveryDelay", PushRedelivery.OPTIONS.get("firstDelay")),
            Setting.option("push.retry-policy", "nsq", NSQ, "retryPolicy"),
            Setting.option("push.requeue-delay", "nsq", NSQ, "requeueDelay"),
            Setting.option("push.max-requeue-delay", "nsq", NSQ, "maxRequeueDelay"),
            Setting.option("push.pause", "nsq", NSQ, "backoffDelay"),
            Setting.option("push.max-pause", "nsq", NSQ, "maxBackoffDelay"),
            Setting.option("push.max-retry-after", "push", PUSH, "maxRetryAfter"),
            Setting.option("push.dead-letter-on", "push", PUSH, "deadLetterOn").checked(StatusCodes.ALLOWED,
                    StatusCodes::parse),
            Setting.option("push.success-on", "push", PUSH, "successOn").checked(StatusCodes.ALLOWED,
                    StatusCodes::parse),
            Setting.option("push.sample", "push", PUSH, "sample"),
            Setting.option("push.rate-limit", "push", PUSH, "rateLimit"),
            Setting.option("push.concurrency", "push", PUSH, "concurrency"),
            Setting.componentOption("push.proxy", "push", PushComponent.OPTIONS, "proxy")
                    .checked("host:port, or empty", Settings::proxy),
            Setting.componentOption("push.trust-store", "push", PushComponent.OPTIONS, "trustStore")
                    .checked("a readable PKCS12 or JKS file, or empty", Settings::trustStore),
            Setting.componentOption("push.trust-store-password", "push", PushComponent.OPTIONS,
                    "trustStorePassword"),
            Setting.custom("dead-letter.uri", "deadLetterUri", "", "a Camel endpoint URI, or empty",
                    Settings::deadLetterUri, "Where dead letters are kept: any Camel URI (e.g. file:dead-letters)."
                            + " Empty: the NSQ topic <topic>.dead-letter, on the nsqd the message came from."),

            Setting.custom("status.interval", null, "60s", "0 (off) or 1s..1d", Settings::statusInterval,
                    "A status line per subscription this often."),
            Setting.whole("status.every", null, "0", Range.whole(0, Integer.MAX_VALUE),
                    "Also a status line every this many deliveries (nsq_to_http --status-every); 0 = off."),
            Setting.whole(DELIVERIES_KEPT, null, "5000", Range.whole(0, 1_000_000), "Requests and attempts' outcomes"
                    + " kept for " + DeliveriesEndpoint.PATH + " and the dead-letter record's history, the latest; 0 ="
                    + " none."),
            Setting.whole(DELIVERIES_KEPT_BYTES, null, "4194304", Range.whole(0, 1L << 30), "At most this many bytes"
                    + " (estimated) for them: an entry holds no body, a few hundred bytes."),
            Setting.text("routes.directory", null, "routes", "The YAML routes: templates, subscriptions, the"
                    + " dead-letter route."),
            Setting.bool("routes.reload-enabled", null, "true",
                    "Saving a file under routes.directory reloads the routes (in-flight messages finish first)."),
            Setting.custom("replay.from", null, "nsq:{{nsq.topic}}.dead-letter?channel=replay",
                    "a Camel endpoint URI", Settings::camelUri, "Where replay reads dead-letter records."),
            Setting.custom("replay.rejected-uri", null, "file:replay-rejected", "a Camel endpoint URI",
                    Settings::camelUri, "Where replay keeps records it cannot replay (bad topic, not a record)."));

    private static final Map<String, Setting> BY_KEY = index(Setting::key);

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

    /**
     * @return the bridge's own settings with their defaults (aliases have their default in the option): the lowest
     *         layer of the properties, so that routes may use them as placeholders
     */
    static Map<String, String> defaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (Setting setting : ALL) {
            if (setting.alias() == null && !setting.key().equals(TOPIC) && !setting.key().equals(URL)) {
                defaults.put(setting.key(), setting.defaultValue());
            }
        }
        return defaults;
    }

    /** A component option's value as the settings resolved it, to be set on the component. */
    record Applied(Setting.Alias alias, Object value, String from) {
    }

    /**
     * Checks every setting and every {@code camel.component.nsq.*} / {@code camel.component.push.*} key as resolved
     * over the layers, then those that depend on each other.
     *
     * @return the component options to set, each once, from the setting or Camel key that won
     * @throws InvalidValueException naming the key, the value and what is allowed
     */
    static List<Applied> validate(SettingLayers layers) {
        unknownKeys(layers);
        Map<String, Object> values = new LinkedHashMap<>();
        List<Applied> applied = new ArrayList<>();
        Map<String, Setting.Alias> aliased = new LinkedHashMap<>();
        for (Setting setting : ALL) {
            Optional<SettingLayers.Found> found = setting.alias() == null ? layers.find(setting.key())
                    : layers.find(setting.key(), setting.alias().camelKey(), (a, b) -> same(setting, a, b));
            String text = found.map(SettingLayers.Found::value).orElse(setting.defaultValue());
            String named = found.map(SettingLayers.Found::key).orElse(setting.key());
            values.put(setting.key(), setting.parser().parse(named, text));
            if (setting.alias() != null) {
                aliased.put(setting.alias().camelKey(), setting.alias());
                if (found.isPresent()) {
                    applied.add(new Applied(setting.alias(), setting.alias().option().parse(named, text), named));
                }
            }
        }
        // camel.component.<nsq|push>.<option> without a setting of its own: checked by the option's rules
        for (String prefix : List.of("camel.component.nsq.", "camel.component.push.")) {
            String component = prefix.substring("camel.component.".length(), prefix.length() - 1);
            for (Map.Entry<String, Setting.Alias> option : ComponentKeys.simpleOptions(component).entrySet()) {
                if (aliased.containsKey(option.getKey())) {
                    continue;
                }
                Optional<SettingLayers.Found> found = layers.find(option.getKey());
                if (found.isPresent()) {
                    applied.add(new Applied(option.getValue(), option.getValue().option().parse(option.getKey(),
                            found.get().value()), option.getKey()));
                }
            }
        }
        crossChecks(values);
        return applied;
    }

    private static boolean same(Setting setting, String one, String two) {
        try {
            return java.util.Objects.equals(setting.alias().option().parse(setting.key(), one),
                    setting.alias().option().parse(setting.key(), two));
        } catch (InvalidValueException e) {
            return one.trim().equals(two.trim());
        }
    }

    private static void crossChecks(Map<String, Object> values) {
        boolean get = "GET".equals(values.get(METHOD));
        String url = (String) values.get(URL);
        if (url != null && !url.isBlank()) {
            EndpointUrls.parse(URL, url, get);
        }
        long timeout = (Long) values.get("push.timeout");
        long redeliveries = ((Number) values.get("push.redeliveries")).longValue();
        long redeliveryDelay = (Long) values.get("push.redelivery-delay");
        long attempt = PushRedelivery.attemptMillis(timeout, redeliveries, redeliveryDelay);
        if (attempt > MAX_ATTEMPT_MILLIS) {
            throw new InvalidValueException("push.redeliveries", "push.redeliveries " + redeliveries + " with"
                    + " push.timeout " + Durations.format(timeout) + " and push.redelivery-delay "
                    + Durations.format(redeliveryDelay) + ": one attempt can take " + Durations.format(attempt)
                    + ", above nsqd's default --max-msg-timeout of " + Durations.format(MAX_ATTEMPT_MILLIS)
                    + " (nsqd would give the message to another consumer meanwhile); allowed: fewer redeliveries or"
                    + " shorter times");
        }
        order(values, "push.max-requeue-delay", "push.requeue-delay");
        NsqConfiguration.checkRetryPolicy("push.retry-policy", (String) values.get("push.retry-policy"),
                "push.max-requeue-delay", (Long) values.get("push.max-requeue-delay"));
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

    /** A key under one of our prefixes that no setting, option or Camel component option has stops start-up. */
    private static void unknownKeys(SettingLayers layers) {
        List<String> known = new ArrayList<>(BY_KEY.keySet());
        known.addAll(ComponentKeys.all("nsq"));
        known.addAll(ComponentKeys.all("push"));
        for (Map.Entry<String, SettingLayers.Layer> key : layers.listedKeys().entrySet()) {
            String name = key.getKey();
            boolean ours = OUR_PREFIXES.stream().anyMatch(name::startsWith);
            if (ours && !known.contains(name) && !ComponentKeys.isKnown(name)) {
                String closest = Suggestions.closest(name, known);
                throw new InvalidValueException(name, name + " (in " + key.getValue().name() + "): unknown setting"
                        + (closest == null ? "; see --help for every setting" : "; did you mean " + closest + "?"));
            }
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
                    // the value as masked: a lookupd URL may carry a token in its user-info or query
                    throw new InvalidValueException(name, io.nsqpush.component.UriMasking.list(text),
                            "is not a list of nsqlookupd addresses",
                            "comma-separated host:port or http(s):// URLs, e.g. 127.0.0.1:4161");
                }
            }
        }
        return text == null ? "" : text.trim();
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
            NsqAddress.parse(value);
            return value;
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
            throw new InvalidValueException(name, Redaction.uri(value), "is not a Camel endpoint URI",
                    "scheme:path, e.g. nsq:orders.dead-letter or file:dead-letters");
        }
        return value;
    }

    private static Object deadLetterUri(String name, String text) {
        String value = (String) camelUri(name, text);
        if (value.startsWith("nsq:")) {
            String topic = value.substring(4).split("\\?", 2)[0];
            if (!NsqNames.isValid(topic) || topic.endsWith("#ephemeral")) {
                throw new InvalidValueException(name, Redaction.uri(value), "names the topic '" + topic + "', which"
                        + " is not a valid NSQ topic to keep dead letters in", NsqNames.ALLOWED + ", not ephemeral");
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

    /** For --help and the tables: the component whose options a camel.component.* key may name. */
    static Class<?> componentClass(String component) {
        return component.equals("nsq") ? NsqComponent.class : PushComponent.class;
    }
}
