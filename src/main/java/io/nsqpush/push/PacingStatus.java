package io.nsqpush.push;

/** How fast a {@code push:} endpoint sends now, for metrics. Thread-safe. */
public interface PacingStatus {

    /** @return requests per second allowed now over the endpoint's URLs: rateLimit or learnt; infinite when none */
    double rateLimit();

    /** @return requests allowed at once over the endpoint's URLs: concurrency or learnt */
    int concurrencyLimit();

    /** @return requests under way */
    int active();

    /** @return requests waiting for their turn (their messages stay in flight, TOUCHed) */
    int waiting();

    /** @return requests the endpoint accepted per second over the last second */
    double acceptedRate();
}
