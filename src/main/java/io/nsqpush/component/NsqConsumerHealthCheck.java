package io.nsqpush.component;

import io.nsqpush.config.Durations;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/**
 * A readiness check: DOWN while one of the consumer's nsqd addresses has no live, subscribed connection, or while the
 * subscription is paused because its downstream is unavailable. Not a liveness check: restarting the bridge would
 * bring neither nsqd nor the endpoint back, so an orchestrator must not restart it for them.
 */
final class NsqConsumerHealthCheck extends AbstractHealthCheck {

    private final NsqConsumer consumer;

    NsqConsumerHealthCheck(NsqConsumer consumer, String routeId) {
        super("camel", "consumer:nsq-" + routeId);
        this.consumer = consumer;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("subscription", consumer.subscription());
        builder.detail("in_flight", consumer.getInFlight());
        builder.detail("held", consumer.getHeld());
        builder.detail("paused", consumer.isPaused());
        builder.detail("possible_duplicates", consumer.getPossibleDuplicates());
        builder.detail("in_flight_bytes", consumer.getInFlightBytes());
        java.util.List<String> down = new java.util.ArrayList<>();
        for (NsqConsumerConnection connection : consumer.connections()) {
            if (!connection.isConnected()) {
                down.add(connection.address() + ": " + (connection.lastError() == null ? "connecting"
                        : connection.lastError()));
            }
        }
        if (!consumer.isConnected()) {
            // a few of them: a lookupd may list thousands
            builder.message("no live connection to nsqd " + (down.isEmpty() ? "(not started)"
                    : Listing.firstFew(down, "; ")));
            builder.down();
        } else if (consumer.isPaused()) {
            builder.message("paused for " + Durations.format(consumer.getPausedMillis() / 1000 * 1000)
                    + ": the endpoint is unavailable (" + consumer.getPauseReason() + ")");
            builder.down();
        } else {
            builder.up();
        }
    }
}
