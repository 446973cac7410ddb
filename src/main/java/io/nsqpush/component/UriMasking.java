package io.nsqpush.component;

import org.apache.camel.util.URISupport;

import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Hides the secrets of URIs at the component level (push: adds its own on top, Redaction): Camel's sanitizer (the
 * password in user-info, query parameters named like password, token, secret, ...) and any user-info, since a token
 * alone ({@code https://TOKEN@lookupd:4161}) is as secret as a password and Camel leaves it.
 */
public final class UriMasking {

    public static final String MASK = "xxxxxx";
    private static final Pattern USER_INFO = Pattern.compile("(\\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@\\s]*@");

    private UriMasking() {
    }

    /** @return the text with the secrets of every URI in it masked; null stays null */
    public static String uri(String text) {
        return text == null ? null : USER_INFO.matcher(URISupport.sanitizeUri(text)).replaceAll("$1" + MASK + "@");
    }

    /**
     * @return a comma-separated list of addresses (lookupd's, nsqd's) masked one by one: Camel's sanitizer reads a
     *         list as one URI and would mask across the commas; null stays null
     */
    public static String list(String addresses) {
        return addresses == null ? null
                : Arrays.stream(addresses.split(",", -1)).map(UriMasking::uri).collect(Collectors.joining(","));
    }
}
