package io.nsqpush.http;

import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where requests go: an absolute http(s) URL taken apart once, so that sending a request parses nothing. The path and
 * query are kept exactly as written (a GET template's {@code %s} included).
 *
 * @param url          the URL as given (it may hold secrets: log it only through a mask)
 * @param secure       https
 * @param host         host name or IP literal, without brackets
 * @param port         the port, the scheme's default when the URL has none
 * @param hostHeader   the Host header: host, and the port when not the default
 * @param pathAndQuery the request-target in origin form, e.g. {@code /hooks/nsq?x=1}
 */
public record HttpTarget(String url, boolean secure, String host, int port, String hostHeader, String pathAndQuery) {

    /** @throws IllegalArgumentException when the URL is not an absolute http(s) URL with a host */
    public static HttpTarget parse(String url) {
        URI uri;
        try {
            uri = new URI(url.replace("%s", "_"));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("not an absolute http:// or https:// URL with a host");
        }
        boolean secure = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        String hostHeader = uri.getHost() + (uri.getPort() > 0 && port != (secure ? 443 : 80) ? ":" + port : "");
        // the raw path and query of the URL as written (the template's %s back in place)
        int start = url.indexOf('/', url.indexOf("//") + 2);
        String pathAndQuery = start < 0 ? "/" : url.substring(start);
        int fragment = pathAndQuery.indexOf('#');
        if (fragment >= 0) {
            pathAndQuery = pathAndQuery.substring(0, fragment);
        }
        if (pathAndQuery.startsWith("?")) {
            pathAndQuery = "/" + pathAndQuery;
        }
        return new HttpTarget(url, secure, host, port, hostHeader, pathAndQuery);
    }

    InetSocketAddress unresolved() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** @return the absolute form of the request-target, for a request through an HTTP proxy */
    String absolute(String pathAndQuery) {
        return (secure ? "https://" : "http://") + hostHeader + pathAndQuery;
    }

    /** The TLS context for an https target (trust store and hostname verification), or null for http. */
    record Tls(SslContext context) {
    }
}
