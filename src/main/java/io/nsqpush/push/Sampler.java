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

    /** @param sample a share from 0.0 to 1.0, as text (a template parameter) */
    public void setSample(String sample) {
        double value;
        try {
            value = Double.parseDouble(sample == null ? "" : sample.trim());
        } catch (NumberFormatException e) {
            value = -1;
        }
        if (value < 0 || value > 1) {
            throw new io.nsqpush.config.InvalidValueException("sample", sample, "is not a share of messages",
                    "a number from 0.0 to 1.0");
        }
        this.sample = value;
    }
}
