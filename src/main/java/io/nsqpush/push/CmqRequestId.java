package io.nsqpush.push;

import java.util.concurrent.ThreadLocalRandom;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Sets a fresh {@code x-cmq-request-id}. Camel's redelivery re-runs only the HTTP step, not the formatter, so a route
 * runs this right before the HTTP call to give every request (each retry too) its own ID. The one place IDs are made.
 */
public class CmqRequestId implements Processor {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * @return 128 random bits as 32 lower-case hex digits: unique in practice. ThreadLocalRandom, not UUID's shared
     *         SecureRandom, which serializes hundreds of delivery threads on one lock
     */
    public static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[32];
        long bits = random.nextLong();
        for (int i = 0; i < 16; i++, bits >>>= 4) {
            id[i] = HEX[(int) (bits & 0xf)];
        }
        bits = random.nextLong();
        for (int i = 16; i < 32; i++, bits >>>= 4) {
            id[i] = HEX[(int) (bits & 0xf)];
        }
        return new String(id);
    }

    @Override
    public void process(Exchange exchange) {
        exchange.getIn().setHeader(CmqHeaders.REQUEST_ID, newId());
    }
}
