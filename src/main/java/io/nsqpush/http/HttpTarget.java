package io.nsqpush.http;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * Where requests go: an absolute http(s) URL taken apart once, so that sending a request parses nothing. The path and
 * query are kept exactly as written (a GET template's {@code %s} included). User-info in the URL becomes Basic
 * authentication, as Go's net/http (and so nsq_to_http) sends it.
 *
 * @param secure        https
 * @param host          host name or IP literal, without brackets
 * @param port          the port, the scheme's default when the URL has none
 * @param hostHeader    the Host header: host, and the port when not the default
 * @param pathAndQuery  the request-target in origin form, e.g. {@code /hooks/nsq?x=1}
 * @param authorization the Authorization header from the URL's user-info ({@code Basic ...}), or null; a secret
 */
public record HttpTarget(boolean secure, String host, int port, String hostHeader, String pathAndQuery,
                         String authorization) {

    /** @throws IllegalArgumentException when the URL is not an absolute http(s) URL with a host */
    public static HttpTarget parse(String url) {
        URI uri;
        try {
            uri = new URI(url.replace("%s", "_"));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("not an absolute http:// or https:// URL with a host");
        }
        boolean secure = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        String hostHeader = uri.getHost() + (uri.getPort() > 0 && port != (secure ? 443 : 80) ? ":" + port : "");
        // the raw path and query of the URL as written (the template's %s back in place): the authority ends at the
        // first '/', '?' or '#' after "//"
        int authority = url.indexOf("//") + 2;
        int end = authority;
        while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        String pathAndQuery = url.substring(end);
        int fragment = pathAndQuery.indexOf('#');
        if (fragment >= 0) {
            pathAndQuery = pathAndQuery.substring(0, fragment);
        }
        if (!pathAndQuery.startsWith("/")) {
            pathAndQuery = "/" + pathAndQuery;
        }
        String userInfo = uri.getUserInfo(); // percent-decoded; "user" alone means an empty password, as in Go
        String authorization = userInfo == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (userInfo.contains(":") ? userInfo : userInfo + ":").getBytes(StandardCharsets.UTF_8));
        return new HttpTarget(secure, host, port, hostHeader, pathAndQuery, authorization);
    }

    InetSocketAddress unresolved() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** @return the absolute form of the request-target, for a request through an HTTP proxy */
    String absolute(String pathAndQuery) {
        return (secure ? "https://" : "http://") + hostHeader + pathAndQuery;
    }

    @Override
    public String toString() {
        // a record's toString would print the credentials
        return (secure ? "https://" : "http://") + hostHeader + pathAndQuery
                + (authorization == null ? "" : " (with Basic authentication)");
    }
}
