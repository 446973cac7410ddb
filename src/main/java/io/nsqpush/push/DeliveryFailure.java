package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import io.nsqpush.component.NsqMessageControl;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.nio.charset.StandardCharsets;

/**
 * The dead-letter route's first word on a failed delivery attempt: what failed, for its log line and record
 * ({@value PushConstants#LAST_STATUS}, {@value PushConstants#LAST_ERROR}, {@value PushConstants#BODY_EXCERPT}),
 * and what happens to the message now ({@value PushConstants#OUTCOME}):
 * <ul>
 *   <li>{@link Outcome#HELD}: the endpoint is away and the subscription is paused; the consumer keeps the message
 *   unanswered and sends it again when the endpoint answers (no attempt spent, never dead-lettered for an outage);</li>
 *   <li>{@link Outcome#DEAD_LETTER}: a status that can never succeed (dead-letter-on), or the last attempt;</li>
 *   <li>{@link Outcome#REQUEUE}: attempts are left; the consumer REQs it with a growing delay.</li>
 * </ul>
 */
public class DeliveryFailure implements Processor {

    static final int EXCERPT_CHARS = 80;

    /** What happens to a message whose attempt failed. */
    public enum Outcome { HELD, REQUEUE, DEAD_LETTER }

    @Override
    public void process(Exchange exchange) {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        DeliveryFailedException failure = DeliveryFailedException.in(caught);
        if (failure != null) {
            if (failure.status() > 0) {
                exchange.setProperty(PushConstants.LAST_STATUS, failure.status());
            }
            exchange.setProperty(PushConstants.LAST_ERROR, Redaction.message(failure.getMessage()));
        } else {
            exchange.setProperty(PushConstants.LAST_ERROR, Redaction.failure(caught));
        }
        exchange.setProperty(PushConstants.BODY_EXCERPT, excerpt(exchange.getMessage().getBody(byte[].class)));
        exchange.setProperty(PushConstants.OUTCOME, decide(exchange, failure));
    }

    private static Outcome decide(Exchange exchange, DeliveryFailedException failure) {
        if (failure != null && failure.kind() == DeliveryFailedException.Kind.PERMANENT) {
            return Outcome.DEAD_LETTER;
        }
        NsqMessageControl control = exchange.getProperty(NsqConstants.CONTROL, NsqMessageControl.class);
        if (failure != null && failure.kind() == DeliveryFailedException.Kind.UNAVAILABLE && control != null
                && control.hold()) {
            return Outcome.HELD;
        }
        int attempts = exchange.getMessage().getHeader(NsqConstants.ATTEMPTS, 1, Integer.class);
        int maxAttempts = exchange.getMessage().getHeader(NsqConstants.MAX_ATTEMPTS, 1, Integer.class);
        return attempts < maxAttempts ? Outcome.REQUEUE : Outcome.DEAD_LETTER;
    }

    static String excerpt(byte[] body) {
        if (body == null) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, EXCERPT_CHARS * 4), StandardCharsets.UTF_8);
        String cut = text.length() > EXCERPT_CHARS ? text.substring(0, EXCERPT_CHARS) + "…" : text;
        return Redaction.singleLine(cut);
    }
}
