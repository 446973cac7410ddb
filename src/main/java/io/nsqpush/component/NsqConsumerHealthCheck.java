package io.nsqpush.component;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/** DOWN while any of the consumer's nsqd addresses has no live, subscribed connection. */
final class NsqConsumerHealthCheck extends AbstractHealthCheck {

    private final NsqConsumer consumer;

    NsqConsumerHealthCheck(NsqConsumer consumer, String routeId) {
        super("camel", "consumer:nsq-" + routeId);
        this.consumer = consumer;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("subscription", consumer.subscription());
        builder.detail("in_flight", consumer.getInFlight());
        builder.detail("possible_duplicates", consumer.getPossibleDuplicates());
        StringBuilder down = new StringBuilder();
        for (NsqConsumerConnection connection : consumer.connections()) {
            if (!connection.isConnected()) {
                down.append(down.isEmpty() ? "" : "; ").append(connection.address()).append(": ")
                        .append(connection.lastError() == null ? "connecting" : connection.lastError());
            }
        }
        if (consumer.isConnected()) {
            builder.up();
        } else {
            builder.message("no live connection to nsqd " + (down.isEmpty() ? "(not started)" : down));
            builder.down();
        }
    }
}
