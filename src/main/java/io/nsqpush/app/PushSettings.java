package io.nsqpush.app;

import io.nsqpush.nsq.NsqAddress;
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

    private final Function<String, Optional<String>> properties;

    /** @param properties resolves a key to its effective value (file, -D override or environment) */
    public PushSettings(Function<String, Optional<String>> properties) {
        this.properties = properties;
    }

    /** Checks every contract key. */
    public void validate() {
        name("nsq.topic");
        name("nsq.channel");
        addresses("nsq.nsqd-tcp-addresses");
        integer("nsq.max-in-flight", 1, 65_535);
        integer("nsq.max-attempts", 1, 65_535);
        url("push.url");
        try {
            PushFormat.parse("push.format", required("push.format"));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(e.getMessage());
        }
        integer("push.timeout", 1, Integer.MAX_VALUE);
        integer("push.connect-timeout", 1, Integer.MAX_VALUE);
        integer("push.redeliveries", 0, 100);
        integer("push.redelivery-delay", 0, MAX_REQUEUE_DELAY_MS);
        long requeueDelay = integer("push.requeue-delay", 0, MAX_REQUEUE_DELAY_MS);
        long maxRequeueDelay = integer("push.max-requeue-delay", 0, MAX_REQUEUE_DELAY_MS);
        if (requeueDelay > maxRequeueDelay) {
            throw new InvalidSettingException("push.requeue-delay " + requeueDelay + " is above push.max-requeue-delay "
                    + maxRequeueDelay + ": the first delay must not exceed the largest");
        }
        integer("status.interval", 0, 86_400);
        String deadLetter = required("dead-letter.uri");
        if (!deadLetter.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.+")) {
            throw new InvalidSettingException("dead-letter.uri '" + deadLetter + "' is not a Camel endpoint URI:"
                    + " allowed scheme:path, e.g. nsq:orders.dead-letter or file:dead-letters");
        }
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
