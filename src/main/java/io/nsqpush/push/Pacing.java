package io.nsqpush.push;

import io.nsqpush.config.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * When each request of one {@code push:} endpoint goes: the user's limits over all its URLs (rateLimit, concurrency)
 * and, per URL, the rate and concurrency learnt from its answers ({@link AdaptiveRate}). A request that may not go yet
 * waits in its URL's queue, its thread free: a timer (one shared thread for every endpoint, armed only while something
 * waits for a token) or the end of another request starts it. Logs a URL's rate-limited state when it changes and at
 * most once a minute while it lasts. Thread-safe.
 */
final class Pacing implements PacingStatus {

    private static final Logger LOG = LoggerFactory.getLogger(Pacing.class);
    static final long REPORT_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Burst of the user's rate limit: 10 ms worth, at least one request. */
    static final double USER_BURST_SECONDS = 0.01;
    /**
     * Room in the user's bucket for the timer's lateness: a turn that fires late keeps the part of a token it
     * overslept, so the next turn comes that much sooner. Without it a burst of one lost ~1 ms per request at
     * 100 r/s (~90 r/s delivered, bench/rate-limit.sh). It never lets two go back to back: at 100 r/s they stay 5 ms apart or more.
     */
    static final double LATE_TIMER_SECONDS = 0.005;

    /** A request waiting for its turn. */
    interface Request {
        /** Its turn: send now. Runs on the thread that freed the turn (an I/O thread, or the timer's). */
        void go(Turn turn);

        /** It will never go (the endpoint stops). */
        void cancelled(String reason);
    }

    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private final TokenBucket user;
    private final Lane[] lanes;
    private int nextLane;
    private ScheduledFuture<?> armed;
    private long armedAtNanos;
    private boolean stopped;
    private volatile String route = "?";

    /** One URL: its learnt rate and its queue. */
    private final class Lane {
        final String url;
        final AdaptiveRate adaptive;
        final TokenBucket bucket;
        final Deque<Request> queue = new ArrayDeque<>();
        boolean limited;
        long reportedAtNanos;
        long acceptedSinceReport;
        long refusedSinceReport;
        int lastStatus;

        Lane(String url, long now) {
            this.url = url;
            this.adaptive = new AdaptiveRate(now);
            this.bucket = new TokenBucket(now);
            bucket.limit(adaptive.window());
        }
    }

    /**
     * @param rateLimit   requests per second over every URL, 0 for none
     * @param concurrency requests at once over every URL, 0 for none
     * @param urls        the URLs, masked (for the log)
     */
    Pacing(LongSupplier clock, ScheduledExecutorService timer, double rateLimit, int concurrency, List<String> urls) {
        this.clock = clock;
        this.timer = timer;
        long now = clock.getAsLong();
        this.user = new TokenBucket(now);
        if (rateLimit > 0) {
            user.rate(rateLimit, Math.max(1, rateLimit * USER_BURST_SECONDS) + rateLimit * LATE_TIMER_SECONDS, now);
        }
        if (concurrency > 0) {
            user.limit(concurrency);
        }
        lanes = new Lane[urls.size()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(urls.get(i), now);
        }
    }

    /** The route the requests come from, for the log. */
    void route(String routeId) {
        if (routeId != null && !routeId.equals(route)) {
            route = routeId;
        }
    }

    /** Queues a request for a URL; it goes at once (on this thread) if it may. */
    void submit(int lane, Request request) {
        enqueue(lane, request, false);
    }

    /** A request the URL refused for load waits again, ahead of the others: it has waited longest. */
    void again(int lane, Request request) {
        enqueue(lane, request, true);
    }

    private void enqueue(int lane, Request request, boolean first) {
        String cancelled = null;
        synchronized (this) {
            if (stopped) {
                cancelled = "the push endpoint is stopped";
            } else if (first) {
                lanes[lane].queue.addFirst(request);
            } else {
                lanes[lane].queue.addLast(request);
            }
        }
        if (cancelled != null) {
            request.cancelled(cancelled);
        } else {
            drain();
        }
    }

    /** Starts every request whose turn has come, and arms the timer for the next token. */
    private void drain() {
        List<Runnable> ready = null;
        synchronized (this) {
            if (stopped) {
                return;
            }
            long now = clock.getAsLong();
            long soonest = Long.MAX_VALUE;
            for (int k = 0; k < lanes.length; k++) {
                Lane lane = lanes[(nextLane + k) % lanes.length];
                while (!lane.queue.isEmpty()) {
                    long wait = combined(lane.bucket.waitNanos(now), user.waitNanos(now));
                    if (wait != 0) {
                        if (wait > 0) {
                            soonest = Math.min(soonest, wait);
                        }
                        break;
                    }
                    lane.bucket.take(now);
                    user.take(now);
                    Request request = lane.queue.pollFirst();
                    Turn turn = new Turn(lane, now);
                    if (ready == null) {
                        ready = new ArrayList<>();
                    }
                    ready.add(() -> request.go(turn));
                }
            }
            nextLane = (nextLane + 1) % lanes.length;
            if (soonest != Long.MAX_VALUE) {
                arm(now, soonest);
            }
        }
        if (ready != null) {
            ready.forEach(Runnable::run);
        }
    }

    private static long combined(long a, long b) {
        return a < 0 || b < 0 ? TokenBucket.UNTIL_RELEASE : Math.max(a, b);
    }

    private void arm(long now, long delayNanos) {
        long at = now + delayNanos;
        if (armed != null && at - armedAtNanos >= 0) {
            return; // a timer fires sooner and drains this too
        }
        if (armed != null) {
            armed.cancel(false);
        }
        armedAtNanos = at;
        try {
            armed = timer.schedule(this::fired, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopping) {
            armed = null;
        }
    }

    private void fired() {
        synchronized (this) {
            armed = null;
        }
        drain();
    }

    /** Cancels what waits; what is under way ends on its own. */
    void stop() {
        List<Request> cancelled = new ArrayList<>();
        synchronized (this) {
            stopped = true;
            if (armed != null) {
                armed.cancel(false);
                armed = null;
            }
            for (Lane lane : lanes) {
                cancelled.addAll(lane.queue);
                lane.queue.clear();
            }
        }
        cancelled.forEach(r -> r.cancelled("the push endpoint stopped before its turn"));
    }

    /** One request's turn: ends exactly once, with what the URL's answer says about load. */
    final class Turn {
        private final Lane lane;
        private final long sentNanos;
        private boolean ended;

        private Turn(Lane lane, long sentNanos) {
            this.lane = lane;
            this.sentNanos = sentNanos;
        }

        /** The URL answered, not with a refusal for load. */
        void accepted() {
            end(lane -> {
                lane.adaptive.accepted(clock.getAsLong());
                lane.acceptedSinceReport++;
                return null;
            });
        }

        /**
         * The URL refused for load: 429, or 503, without Retry-After.
         *
         * @return whether the request may wait its turn again ({@link AdaptiveRate.Verdict#RATE_LIMITED}) or the
         *         endpoint is away
         */
        AdaptiveRate.Verdict refused(int status) {
            AdaptiveRate.Verdict[] verdict = new AdaptiveRate.Verdict[1];
            end(lane -> {
                verdict[0] = lane.adaptive.refused(sentNanos, status == 503, lane.bucket.busy() + 1,
                        clock.getAsLong());
                lane.refusedSinceReport++;
                lane.lastStatus = status;
                return null;
            });
            return verdict[0];
        }

        /** No answer, or one that says nothing about load (Retry-After): the turn just ends. */
        void ended() {
            end(lane -> {
                lane.adaptive.unanswered();
                return null;
            });
        }

        private void end(java.util.function.Function<Lane, Void> learn) {
            String log = null;
            synchronized (Pacing.this) {
                if (ended) {
                    return;
                }
                ended = true;
                lane.bucket.release();
                user.release();
                learn.apply(lane);
                log = follow(lane, clock.getAsLong());
            }
            if (log != null) {
                LOG.info(log);
            }
            drain();
        }
    }

    /** Puts the learnt rate in force; @return a line to log when the state changed or a minute passed, else null */
    private String follow(Lane lane, long now) {
        AdaptiveRate adaptive = lane.adaptive;
        double rate = adaptive.rate();
        if (rate != lane.bucket.rate()) {
            lane.bucket.rate(rate, 1, now);
        }
        lane.bucket.limit(adaptive.window());
        boolean limited = adaptive.isLimited();
        String line = null;
        if (limited != lane.limited) {
            lane.limited = limited;
            line = limited
                    ? String.format("Slowing requests to %s (route %s): it refused with %d; now %s r/s, %d at once"
                            + " (it accepted %.0f r/s)", lane.url, route, lane.lastStatus, rounded(rate),
                    adaptive.window(), adaptive.acceptedRate(now))
                    : String.format("Requests to %s (route %s) go at full rate again: no refusal for %s", lane.url,
                    route, Durations.format(TimeUnit.NANOSECONDS.toMillis(AdaptiveRate.FORGET_NANOS)));
            lane.reportedAtNanos = now;
            lane.acceptedSinceReport = 0;
            lane.refusedSinceReport = 0;
        } else if (limited && now - lane.reportedAtNanos >= REPORT_NANOS) {
            double seconds = (now - lane.reportedAtNanos) / 1e9;
            line = String.format("%s (route %s) is rate-limited: %.0f r/s accepted, %d refused in the last %s;"
                            + " now %s r/s, %d at once", lane.url, route, lane.acceptedSinceReport / seconds,
                    lane.refusedSinceReport, seconds < 90 ? "minute" : Durations.format((long) (seconds * 1000)),
                    rounded(rate), adaptive.window());
            lane.reportedAtNanos = now;
            lane.acceptedSinceReport = 0;
            lane.refusedSinceReport = 0;
        }
        return line;
    }

    private static String rounded(double rate) {
        return rate >= 10 ? String.valueOf(Math.round(rate)) : String.format("%.1f", rate);
    }

    // ------------------------------------------------------------------------------------------- PacingStatus

    @Override
    public synchronized double rateLimit() {
        double sum = 0;
        for (Lane lane : lanes) {
            sum += lane.bucket.rate();
        }
        return Math.min(sum, user.rate());
    }

    @Override
    public synchronized int concurrencyLimit() {
        long sum = 0;
        for (Lane lane : lanes) {
            sum += lane.bucket.limit();
        }
        return (int) Math.min(sum, user.limit());
    }

    @Override
    public synchronized int active() {
        return user.busy();
    }

    @Override
    public synchronized int waiting() {
        int sum = 0;
        for (Lane lane : lanes) {
            sum += lane.queue.size();
        }
        return sum;
    }

    @Override
    public synchronized double acceptedRate() {
        long now = clock.getAsLong();
        double sum = 0;
        for (Lane lane : lanes) {
            sum += lane.adaptive.acceptedRate(now);
        }
        return sum;
    }
}
