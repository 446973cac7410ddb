package io.nsqpush.nsq;

import io.netty.handler.ssl.SslContext;

/**
 * TLS to nsqd ({@code tls_v1} in IDENTIFY): the client context (trust, optional client certificate) and whether the
 * server's certificate must name the host we connected to.
 */
public record NsqTls(SslContext context, boolean verifyHostname) {
}
