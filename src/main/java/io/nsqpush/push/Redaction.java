package io.nsqpush.push;

import io.nsqpush.component.UriMasking;

import java.util.regex.Pattern;

/**
 * Hides secrets in URIs before they reach a log line, a metric label or a dead-letter record: the component level's
 * {@link UriMasking} (Camel's sanitizer: query parameters named like password, token, secret, apikey, ...; and any
 * user-info, {@code https://TOKEN@host} too) plus what webhook URLs carry that Camel leaves alone: parameters such as
 * {@code key} or {@code sig}.
 */
public final class Redaction {

    public static final String MASK = UriMasking.MASK;
    private static final Pattern EXTRA = Pattern.compile("([?&](?:key|sig|signature|auth|code|credentials?|pass|pwd)"
            + ")=[^&#]*", Pattern.CASE_INSENSITIVE);

    private static final Pattern CREDENTIAL_NAME = Pattern.compile("authorization|key|token|secret|auth|pass|session"
            + "|signature");
    /** {@code Name: value} up to the next {@code ;} that starts another header, or the end. */
    private static final Pattern HEADER = Pattern.compile("((?:^|;)\\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\\s*:\\s*)"
            + "(?:[^;]|;(?!\\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\\s*:))*");

    private Redaction() {
    }

    /**
     * @return a failure for a log line or a record: {@code Type: message} on one line, secrets in any URI in it
     *         masked; "unknown" for none
     */
    public static String failure(Throwable failure) {
        return failure == null ? "unknown" : message(failure.getClass().getSimpleName() + ": " + failure.getMessage());
    }

    /** @return a message for a log line or a record: on one line, secrets in any URI in it masked */
    public static String message(String text) {
        return text == null ? "" : singleLine(uri(text));
    }

    /** @return the text with its line breaks escaped, so that it stays one log line */
    public static String singleLine(String text) {
        return text == null ? "" : text.replace("\r", "\\r").replace("\n", "\\n");
    }

    /**
     * @return a header name whose value is a credential: Authorization, Proxy-Authorization, Cookie, Set-Cookie, or a
     *         name that holds key, token, secret, auth, pass, session or signature (X-Api-Key, X-Auth-Token, ...)
     */
    public static boolean isCredentialHeader(String name) {
        String lower = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        return lower.equals("cookie") || lower.equals("set-cookie") || CREDENTIAL_NAME.matcher(lower).find();
    }

    /**
     * @return a header list as users write it ({@code Name: value; Name: value}, or one {@code Name: value}) with the
     *         value of every credential header masked; text that is not such a list is kept as it is, but for the
     *         values after a credential header's name
     */
    public static String headers(String text) {
        if (text == null) {
            return null;
        }
        java.util.regex.Matcher header = HEADER.matcher(text);
        StringBuilder masked = new StringBuilder();
        while (header.find()) {
            header.appendReplacement(masked, java.util.regex.Matcher.quoteReplacement(isCredentialHeader(header.group(2))
                    ? header.group(1) + MASK : header.group()));
        }
        header.appendTail(masked);
        return masked.toString();
    }

    /** @return the URI with every secret part replaced by {@value #MASK}; null stays null */
    public static String uri(String uri) {
        if (uri == null) {
            return null;
        }
        return EXTRA.matcher(UriMasking.uri(uri)).replaceAll("$1=" + MASK);
    }
}
