package io.nsqpush.component;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A wrong option stops the route from starting with a message naming the option, the value and what is allowed. */
class NsqEndpointValidationTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "nsq:bad topic?channel=c                         | topic 'bad topic' is not a valid NSQ name",
        "nsq:t?channel=c&servers=nohost                  | servers 'nohost' is not a list of addresses ('nohost' is not an address of the form host:port): allowed comma-separated host:port",
        "nsq:t?channel=c&servers=h:70000                 | servers 'h:70000' is not a list of addresses ('h:70000' has no valid port",
        "nsq:t?channel=RAW( )                            | channel is required to consume from nsq:t",
        "nsq:t?channel=a/b                               | channel 'a/b' is not a valid NSQ name",
        "nsq:t?channel=c&maxInFlight=0                   | maxInFlight '0' is out of range: allowed 1..65535",
        "nsq:t?channel=c&maxAttempts=0                   | maxAttempts '0' is out of range: allowed 1..65535",
        "nsq:t?channel=c&msgTimeout=500                  | msgTimeout '500' is out of range: allowed 1s..15m",
        "nsq:t?channel=c&msgTimeout=10x                  | msgTimeout '10x' is not a duration: allowed 1s..15m",
        "nsq:t?channel=c&heartbeatInterval=100           | heartbeatInterval '100' is out of range: allowed 1s..1m",
        "nsq:t?channel=c&requeueDelay=-1                 | requeueDelay '-1' is not a duration: allowed 0..1h",
        "nsq:t?channel=c&maxRequeueDelay=2h              | maxRequeueDelay '2h' is out of range: allowed 0..1h",
        "nsq:t?channel=c&requeueDelay=20m                | maxRequeueDelay '15m' is below requeueDelay (20m)",
        "nsq:t?channel=c&backoffDelay=2m                 | maxBackoffDelay '1m' is below backoffDelay (2m)",
        "nsq:t?channel=c&lookupd=http://                 | lookupd 'http://' is not an nsqlookupd HTTP address",
        "nsq:t?channel=c&deflateLevel=10                 | deflateLevel '10' is out of range: allowed 1..9",
    })
    void rejects(String uri, String expected) throws Exception {
        try (CamelContext context = new DefaultCamelContext()) {
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from(uri).log("never");
                }
            });
            Exception e = assertThrows(Exception.class, context::start);
            assertTrue(messages(e).contains(expected), "expected '" + expected + "' in: " + messages(e));
        }
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
