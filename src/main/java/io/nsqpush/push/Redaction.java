package io.nsqpush.push;

import org.apache.camel.util.URISupport;

import java.util.regex.Pattern;

/**
 * Hides secrets in URIs before they reach a log line, a metric label or a dead-letter record: Camel's own sanitizer
 * (query parameters named like password, token, secret, apikey, ...; the password in user-info) plus what webhook URLs
 * carry that it leaves alone: any user-info ({@code https://TOKEN@host}) and parameters such as {@code key} or
 * {@code sig}.
 */
public final class Redaction {

    public static final String MASK = "xxxxxx";
    private static final Pattern USER_INFO = Pattern.compile("(\\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@\\s]*@");
    private static final Pattern EXTRA = Pattern.compile("([?&](?:key|sig|signature|auth|code|credentials?|pass|pwd)"
            + ")=[^&#]*", Pattern.CASE_INSENSITIVE);

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

    /** @return the URI with every secret part replaced by {@value #MASK}; null stays null */
    public static String uri(String uri) {
        if (uri == null) {
            return null;
        }
        String masked = URISupport.sanitizeUri(uri);
        masked = USER_INFO.matcher(masked).replaceAll("$1" + MASK + "@");
        return EXTRA.matcher(masked).replaceAll("$1=" + MASK);
    }
}
