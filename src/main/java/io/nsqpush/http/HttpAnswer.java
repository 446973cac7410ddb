package io.nsqpush.http;

/**
 * What the endpoint answered, once the whole answer (status, headers and body) has arrived.
 *
 * @param status     the HTTP status
 * @param retryAfter the Retry-After header as sent, or null
 */
public record HttpAnswer(int status, String retryAfter) {
}
