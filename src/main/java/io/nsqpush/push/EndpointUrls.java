package io.nsqpush.push;

import io.nsqpush.config.InvalidValueException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/** The endpoint URLs of a subscription ({@code push.url}, {@code --post}, {@code --get}): one or several. */
public final class EndpointUrls {

    public static final String ALLOWED = "absolute http:// or https:// URLs with a host, comma-separated"
            + " (a comma inside a URL is written %2C)";

    private EndpointUrls() {
    }

    /**
     * @param getTemplate true for GET requests, whose URLs carry {@code %s} once, replaced by the escaped body
     * @return the URLs in the order given, without repeats
     * @throws InvalidValueException naming the key and the first URL that is not usable (with its secrets masked)
     */
    public static List<String> parse(String name, String text, boolean getTemplate) {
        List<String> urls = new ArrayList<>();
        for (String part : (text == null ? "" : text).split(",")) {
            String url = part.trim();
            if (url.isEmpty() || urls.contains(url)) {
                continue;
            }
            check(name, url, getTemplate);
            urls.add(url);
        }
        if (urls.isEmpty()) {
            throw new InvalidValueException(name, text == null ? "" : text, "holds no URL", ALLOWED);
        }
        return urls;
    }

    private static void check(String name, String url, boolean getTemplate) {
        String masked = Redaction.uri(url);
        if (getTemplate && (url.indexOf("%s") < 0 || url.indexOf("%s") != url.lastIndexOf("%s"))) {
            throw new InvalidValueException(name, masked, "is not a GET address", "a URL with %s once, where the"
                    + " URL-escaped message body goes (as nsq_to_http --get)");
        }
        try {
            URI uri = new URI(getTemplate ? url.replace("%s", "x") : url);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || uri.getHost() == null) {
                throw new URISyntaxException(url, "not absolute");
            }
        } catch (URISyntaxException e) {
            throw new InvalidValueException(name, masked, "is not a valid endpoint URL", ALLOWED);
        }
    }
}
