package io.nsqpush.push;

import io.nsqpush.component.NsqConstants;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DedupeKeyTest {

    private final CamelContext context = new DefaultCamelContext();

    @Test
    void theKeyOfAMessageNeverChangesNotEvenAcrossVersionsOfTheBridge() {
        // a receiver keeps keys it has seen: a bridge restarted on a new version must give the same key again
        // (computed independently: base64url of SHA-256("nsq-push/1\n127.0.0.1:4150\norders\n18a858ed4a269000")[:16])
        assertEquals("msg_ihOhyy1INuklAA12ri2-sA", DedupeKey.of("127.0.0.1:4150", "orders", "18a858ed4a269000"));
        assertEquals("msg_ihOhyy1INuklAA12ri2-sA", DedupeKey.of("127.0.0.1:4150", "orders", "18a858ed4a269000"));
        assertEquals(DedupeKey.of("nsqd-1.internal:4150", "orders", "18a858ed4a269000"),
                DedupeKey.of("NSQD-1.Internal:4150", "orders", "18a858ed4a269000"), "a host name has no case");
        assertTrue(DedupeKey.FORM.matcher(DedupeKey.of("a:1", "b", "c")).matches());
        assertEquals(26, DedupeKey.of("a:1", "b", "c").length());
    }

    @Test
    void theSameIdOnAnotherTopicOrAnotherNsqdIsAnotherMessage() {
        Set<String> keys = new HashSet<>();
        for (String nsqd : new String[] {"127.0.0.1:4150", "127.0.0.1:4151", "10.0.0.2:4150"}) {
            for (String topic : new String[] {"orders", "billing", "orders.dead-letter"}) {
                for (String id : new String[] {"18a858ed4a269000", "18a858ed4a269001"}) {
                    keys.add(DedupeKey.of(nsqd, topic, id));
                }
            }
        }
        assertEquals(18, keys.size());
        // no field can run into the next one: a, bc and ab, c are different messages
        assertNotEquals(DedupeKey.of("h:1", "ab", "c"), DedupeKey.of("h:1", "a", "bc"));
    }

    @Test
    void theChannelIsNotPartOfItAndAKeyTheExchangeCarriesIsKept() {
        Exchange first = nsq("orders", "nsq-push");
        Exchange other = nsq("orders", "audit");
        assertEquals(DedupeKey.of(first), DedupeKey.of(other), "two subscriptions of a topic agree");
        assertEquals(DedupeKey.of("127.0.0.1:4150", "orders", "18a858ed4a269000"), DedupeKey.of(first));

        first.getIn().setHeader(DedupeKey.HEADER, "msg_ihOhyy1INuklAA12ri2-sB");
        assertEquals("msg_ihOhyy1INuklAA12ri2-sB", DedupeKey.of(first), "the key of a replayed record");
        first.getIn().setHeader(DedupeKey.HEADER, "anything else");
        assertEquals(DedupeKey.of(other), DedupeKey.of(first), "only a key of the key's form");
    }

    @Test
    void anExchangeThatDidNotComeFromNsqHasTheKeyOfItsExchange() {
        Exchange plain = new DefaultExchange(context);
        assertEquals(DedupeKey.of(plain), DedupeKey.of(plain));
        assertNotEquals(DedupeKey.of(plain), DedupeKey.of(new DefaultExchange(context)));
    }

    private Exchange nsq(String topic, String channel) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getIn().setHeader(NsqConstants.ADDRESS, "127.0.0.1:4150");
        exchange.getIn().setHeader(NsqConstants.TOPIC, topic);
        exchange.getIn().setHeader(NsqConstants.CHANNEL, channel);
        exchange.getIn().setHeader(NsqConstants.MESSAGE_ID, "18a858ed4a269000");
        return exchange;
    }
}
