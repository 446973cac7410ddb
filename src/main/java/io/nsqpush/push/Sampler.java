package io.nsqpush.push;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.concurrent.ThreadLocalRandom;

/**
 * nsq_to_http's --sample: delivers that share of messages and finishes the others unsent (the route stops for them,
 * the consumer FINs them), each one decided at random. At 1.0, the default, it does nothing.
 */
public class Sampler implements Processor {

    /** Exchange property set on a message that was not sampled: it was finished without a request. */
    public static final String SKIPPED = "nsqPushSkipped";

    private double sample = 1.0;

    @Override
    public void process(Exchange exchange) {
        if (sample < 1.0 && ThreadLocalRandom.current().nextDouble() >= sample) {
            exchange.setProperty(SKIPPED, true);
            exchange.setRouteStop(true);
        }
    }

    public double getSample() {
        return sample;
    }

    public void setSample(double sample) {
        this.sample = sample;
    }
}
