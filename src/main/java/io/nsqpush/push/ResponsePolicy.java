package io.nsqpush.push;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * What an answer means for the message, per status: 2xx (or 200 only for GET, as nsq_to_http) and success-on deliver;
 * dead-letter-on can never succeed; 429, 502, 503 and 504 say the endpoint is away; anything else rejects this message
 * and is retried (CMQ's rule). Retry-After, on 429 and 503, is read as delta-seconds or an HTTP date, capped.
 */
public final class ResponsePolicy {

    private final StatusCodes successOn;
    private final StatusCodes deadLetterOn;
    private final boolean only200;
    private final long maxRetryAfterMillis;

    /**
     * @param only200 true for GET requests: only 200 delivers (nsq_to_http --get), besides success-on
     */
    public ResponsePolicy(StatusCodes successOn, StatusCodes deadLetterOn, boolean only200, long maxRetryAfterMillis) {
        this.successOn = successOn;
        this.deadLetterOn = deadLetterOn;
        this.only200 = only200;
        this.maxRetryAfterMillis = maxRetryAfterMillis;
    }

    /** @return whether this status delivers the message */
    public boolean delivered(int status) {
        return (only200 ? status == 200 : status >= 200 && status <= 299) || successOn.contains(status);
    }

    /** @return the kind of failure a status that does not deliver is */
    public DeliveryFailedException.Kind kind(int status) {
        if (deadLetterOn.contains(status)) {
            return DeliveryFailedException.Kind.PERMANENT;
        }
        return status == 429 || status == 502 || status == 503 || status == 504
                ? DeliveryFailedException.Kind.UNAVAILABLE : DeliveryFailedException.Kind.REJECTED;
    }

    /**
     * @param retryAfter the header as sent, or null
     * @return the pause asked for in ms (at most max-retry-after), 0 when none, or when the status does not carry it
     */
    public long retryAfterMillis(int status, String retryAfter, long nowMillis) {
        if (retryAfter == null || (status != 429 && status != 503)) {
            return 0;
        }
        String value = retryAfter.trim();
        long millis;
        if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
            millis = value.length() > 9 ? maxRetryAfterMillis : Long.parseLong(value) * 1000;
        } else {
            try {
                millis = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
                        - nowMillis;
            } catch (DateTimeParseException e) {
                return 0; // not something we can read: the usual back-off applies
            }
        }
        return Math.max(0, Math.min(millis, maxRetryAfterMillis));
    }
}
