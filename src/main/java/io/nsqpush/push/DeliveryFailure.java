package io.nsqpush.push;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;

import java.nio.charset.StandardCharsets;

/**
 * Describes why the last delivery attempt failed, for the dead-letter route's log line and record: sets the exchange
 * properties {@value #LAST_STATUS} (the HTTP status, absent when no answer came), {@value #LAST_ERROR} (one line) and
 * {@value #BODY_EXCERPT} (the start of the original body, one line).
 */
public class DeliveryFailure implements Processor {

    public static final String LAST_STATUS = "nsqPushLastStatus";
    public static final String LAST_ERROR = "nsqPushLastError";
    public static final String BODY_EXCERPT = "nsqPushBodyExcerpt";
    static final int EXCERPT_CHARS = 80;

    @Override
    public void process(Exchange exchange) {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (failure instanceof HttpOperationFailedException http) {
            exchange.setProperty(LAST_STATUS, http.getStatusCode());
            exchange.setProperty(LAST_ERROR, "HTTP " + http.getStatusCode()
                    + (http.getStatusText() == null || http.getStatusText().isEmpty() ? "" : " " + http.getStatusText()));
        } else if (failure != null) {
            exchange.setProperty(LAST_ERROR, oneLine(failure.getClass().getSimpleName() + ": " + failure.getMessage()));
        } else {
            exchange.setProperty(LAST_ERROR, "unknown");
        }
        exchange.setProperty(BODY_EXCERPT, excerpt(exchange.getMessage().getBody(byte[].class)));
    }

    static String excerpt(byte[] body) {
        if (body == null) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, EXCERPT_CHARS * 4), StandardCharsets.UTF_8);
        String cut = text.length() > EXCERPT_CHARS ? text.substring(0, EXCERPT_CHARS) + "…" : text;
        return oneLine(cut);
    }

    private static String oneLine(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n");
    }
}
