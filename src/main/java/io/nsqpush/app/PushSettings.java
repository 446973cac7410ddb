package io.nsqpush.app;

import io.nsqpush.nsq.NsqAddress;
import io.nsqpush.nsq.NsqLookupd;
import io.nsqpush.nsq.NsqNames;
import io.nsqpush.push.PushFormat;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.function.Function;

/**
 * The contract keys of application.properties, checked before anything starts. Each check that fails throws
 * {@link InvalidSettingException} naming the key, the bad value and what is allowed.
 */
public final class PushSettings {

    /** nsqd's --max-req-timeout default: a longer REQ is clamped by nsqd, so we refuse to promise one. */
    static final long MAX_REQUEUE_DELAY_MS = 3_600_000L;

    /** nsqd's --max-msg-timeout default: TOUCH cannot keep a message longer. */
    static final long MAX_MSG_TIMEOUT_MS = 900_000L;
    /** Camel's default maximumRedeliveryDelay. */
    static final long CAMEL_MAX_REDELIVERY_DELAY_MS = 60_000L;

    private final Function<String, Optional<String>> properties;

    /** @param properties resolves a key to its effective value (file, -D override or environment) */
    public PushSettings(Function<String, Optional<String>> properties) {
        this.properties = properties;
    }

    /** Checks every contract key. */
    public void validate() {
        name("nsq.topic");
        name("nsq.channel");
        boolean lookupd = lookupdAddresses("nsq.lookupd-http-addresses");
        boolean nsqd = properties.apply("nsq.nsqd-tcp-addresses").filter(v -> !v.isBlank()).isPresent();
        if (!lookupd || nsqd) {
            addresses("nsq.nsqd-tcp-addresses");
        }
        integer("nsq.max-in-flight", 1, 65_535);
        integer("nsq.max-attempts", 1, 65_535);
        url("push.url");
        try {
            PushFormat.parse("push.format", required("push.format"));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(e.getMessage());
        }
        integer("push.connect-timeout", 1, Integer.MAX_VALUE);
        long timeout = integer("push.timeout", 1, Integer.MAX_VALUE);
        long redeliveries = integer("push.redeliveries", 0, 100);
        long redeliveryDelay = integer("push.redelivery-delay", 0, MAX_REQUEUE_DELAY_MS);
        long attempt = attemptMillis(timeout, redeliveries, redeliveryDelay);
        if (attempt > MAX_MSG_TIMEOUT_MS) {
            throw new InvalidSettingException("push.redeliveries " + redeliveries + " with push.timeout " + timeout
                    + " and push.redelivery-delay " + redeliveryDelay + ": one attempt can take " + attempt
                    + " ms, above nsqd's default --max-msg-timeout of " + MAX_MSG_TIMEOUT_MS + " ms (nsqd would give"
                    + " the message to another consumer meanwhile); allowed: fewer redeliveries or shorter times");
        }
        long requeueDelay = integer("push.requeue-delay", 0, MAX_REQUEUE_DELAY_MS);
        long maxRequeueDelay = integer("push.max-requeue-delay", 0, MAX_REQUEUE_DELAY_MS);
        if (requeueDelay > maxRequeueDelay) {
            throw new InvalidSettingException("push.requeue-delay " + requeueDelay + " is above push.max-requeue-delay "
                    + maxRequeueDelay + ": the first delay must not exceed the largest");
        }
        integer("status.interval", 0, 86_400);
        try {
            io.nsqpush.push.CmqFormatter.parseHeaders(properties.apply("push.headers").orElse(""));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("push.headers: " + e.getMessage());
        }
        String proxy = properties.apply("push.proxy").orElse("").trim();
        if (!proxy.isEmpty()) {
            try {
                NsqAddress.parse(proxy);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("push.proxy " + e.getMessage() + ": allowed host:port, or empty");
            }
        }
        String trustStore = properties.apply("push.trust-store").orElse("").trim();
        if (!trustStore.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(trustStore))) {
            throw new InvalidSettingException("push.trust-store '" + trustStore + "' is not a readable file: allowed a"
                    + " PKCS12 or JKS trust store, or empty for the JDK's CA list");
        }
        String deadLetter = required("dead-letter.uri");
        if (!deadLetter.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.+")) {
            throw new InvalidSettingException("dead-letter.uri '" + deadLetter + "' is not a Camel endpoint URI:"
                    + " allowed scheme:path, e.g. nsq:orders.dead-letter or file:dead-letters");
        }
        if (deadLetter.startsWith("nsq:")) {
            String topic = deadLetter.substring(4).split("\\?", 2)[0];
            if (!NsqNames.isValid(topic)) {
                throw new InvalidSettingException("dead-letter.uri '" + deadLetter + "': topic '" + topic + "' is not a"
                        + " valid NSQ name: allowed 1-64 characters of [.a-zA-Z0-9_-] (so the default <topic>.dead-letter"
                        + " needs a topic of at most 52 characters, not ephemeral)");
            }
            if (!deadLetter.matches(".*[?&]servers=[^&]+.*")) {
                throw new InvalidSettingException("dead-letter.uri '" + deadLetter + "' publishes to NSQ but names no"
                        + " nsqd (servers=): set nsq.nsqd-tcp-addresses (lookupd only finds nsqd nodes to consume from)"
                        + " or use another dead-letter.uri, e.g. file:dead-letters");
            }
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

    private String required(String key) {
        Optional<String> value = properties.apply(key);
        if (value.isEmpty() || value.get().isBlank()) {
            throw new InvalidSettingException(key + " is not set: add it to application.properties or pass -D" + key
                    + "=…");
        }
        return value.get().trim();
    }

    private void name(String key) {
        String value = required(key);
        if (!NsqNames.isValid(value)) {
            throw new InvalidSettingException(key + " '" + value + "' is not a valid NSQ name: allowed 1-64 characters"
                    + " of [.a-zA-Z0-9_-], optionally ending in #ephemeral");
        }
    }

    private void addresses(String key) {
        String value = required(key);
        try {
            if (NsqAddress.parseList(value).isEmpty()) {
                throw new IllegalArgumentException("'" + value + "' holds no address");
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(key + ": " + e.getMessage() + "; allowed a comma-separated list of"
                    + " host:port, e.g. 127.0.0.1:4150");
        }
    }

    private long integer(String key, long min, long max) {
        String value = required(key);
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(key + " '" + value + "' is not a whole number: allowed " + min + ".." + max
                    + (key.endsWith("delay") || key.endsWith("timeout") ? " (milliseconds)" : ""));
        }
        if (number < min || number > max) {
            throw new InvalidSettingException(key + " " + number + " is out of range: allowed " + min + ".." + max
                    + (key.endsWith("delay") || key.endsWith("timeout") ? " (milliseconds)" : ""));
        }
        return number;
    }

    /** @return true when lookupd addresses are set; each must be host:port or an http(s) URL */
    private boolean lookupdAddresses(String key) {
        String value = properties.apply(key).orElse("").trim();
        if (value.isEmpty()) {
            return false;
        }
        for (String address : value.split(",")) {
            try {
                NsqLookupd.baseUri(address);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException(key + ": " + e.getMessage() + "; several are separated by commas");
            }
        }
        return true;
    }

    private void url(String key) {
        String value = required(key);
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new URISyntaxException(value, "not an absolute http or https URL with a host");
            }
        } catch (URISyntaxException e) {
            throw new InvalidSettingException(key + " '" + value + "' is not a valid endpoint URL: allowed an absolute"
                    + " http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/push");
        }
    }
}
