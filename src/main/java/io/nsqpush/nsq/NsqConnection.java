package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One TCP connection to nsqd, after the magic and IDENTIFY. Commands that nsqd answers (IDENTIFY, SUB, PUB, MPUB, DPUB,
 * CLS) are matched to their answers in the order they were written; FIN, REQ, TOUCH, RDY and NOP have no answer.
 * Heartbeats are answered here, and unanswered messages are TOUCHed after half the msg timeout when auto-touch is on:
 * the sweep that does it runs only while messages are in flight, so an idle connection costs no timer.
 * <p>
 * The pending-answer queue is touched only on the event loop; the other methods may be called from any thread.
 */
public final class NsqConnection extends ChannelInboundHandlerAdapter implements MessageResponder {

    private static final Logger LOG = LoggerFactory.getLogger(NsqConnection.class);
    /** nsqd's default --max-msg-timeout, for a server that does not say its own. */
    private static final long DEFAULT_MAX_MSG_TIMEOUT_MS = 900_000;

    private final NsqAddress address;
    private final NsqClientOptions options;
    private final NsqConnectionListener listener;
    private final CompletableFuture<NsqConnection> identified = new CompletableFuture<>();
    private final ArrayDeque<CompletableFuture<NsqResponse>> pending = new ArrayDeque<>();
    private final Map<String, NsqMessage> inFlight = new ConcurrentHashMap<>();
    private final LongAdder possibleDuplicates = new LongAdder();
    private volatile Channel channel;
    private volatile IdentifyResponse features;
    private volatile int readyCount;
    private volatile boolean readingPaused;
    private volatile Throwable closeCause;
    private volatile long lastMessageNanos = System.nanoTime();
    private final String sourceText;
    /** The auto-TOUCH sweep while messages are in flight, else null (event loop only). */
    private ScheduledFuture<?> touchSweep;
    private volatile boolean touchSweepArmed;
    private NsqFrameDecoder decoder;
    private final java.util.Queue<ByteBuf> answers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean answersScheduled =
            new java.util.concurrent.atomic.AtomicBoolean();

    NsqConnection(NsqAddress address, NsqClientOptions options, NsqConnectionListener listener) {
        this.address = address;
        this.options = options;
        this.listener = listener;
        this.sourceText = address.toString();
    }

    public NsqAddress address() {
        return address;
    }

    /** @return what nsqd granted in IDENTIFY */
    public IdentifyResponse features() {
        return features;
    }

    public boolean isActive() {
        Channel ch = channel;
        return ch != null && ch.isActive() && identified.isDone() && !identified.isCompletedExceptionally();
    }

    /** @return messages delivered on this connection and not yet finished or requeued */
    public int inFlight() {
        return inFlight.size();
    }

    /** @return System.nanoTime() of the last message, or of the connection's start */
    public long lastMessageNanos() {
        return lastMessageNanos;
    }

    /** @return the RDY count last sent */
    public int readyCount() {
        return readyCount;
    }

    /** @return E_FIN_FAILED / E_REQ_FAILED / E_TOUCH_FAILED answers: messages nsqd may deliver again */
    public long possibleDuplicates() {
        return possibleDuplicates.sum();
    }

    CompletableFuture<NsqConnection> identified() {
        return identified;
    }

    /** Subscribes this connection to a topic's channel; no message flows before {@link #ready(int)}. */
    public CompletableFuture<Void> subscribe(String topic, String channelName) {
        return request(ch -> NsqCommands.subscribe(ch.alloc(), topic, channelName)).thenApply(r -> null);
    }

    /**
     * Sets how many unanswered messages nsqd may send on this connection, clamped to 0..max_rdy_count (a larger
     * count is a fatal error on nsqd).
     */
    public void ready(int count) {
        Channel ch = channel;
        int max = features == null ? count : features.maxRdyCount();
        int clamped = Math.max(0, Math.min(count, max));
        if (clamped == readyCount) {
            return; // nsqd has it already (a window above max_rdy_count asks for the cap again and again)
        }
        readyCount = clamped;
        if (ch != null) {
            ch.writeAndFlush(NsqCommands.ready(ch.alloc(), clamped), ch.voidPromise());
        }
    }

    /**
     * Reads from the socket, or stops reading: what nsqd sends then waits in the socket buffers (TCP flow control
     * holds nsqd back), so no more message bodies reach the heap. A frame partly read is still completed. Heartbeats
     * wait too, so our read-idle check is off meanwhile; nsqd keeps the link, as our FIN, REQ and TOUCH still reach it.
     */
    public void reading(boolean on) {
        Channel ch = channel;
        if (ch != null && ch.config().isAutoRead() != on) {
            readingPaused = !on;
            ch.config().setAutoRead(on);
        }
    }

    public CompletableFuture<Void> publish(String topic, byte[] body) {
        return request(ch -> NsqCommands.publish(ch.alloc(), topic, body)).thenApply(r -> null);
    }

    public CompletableFuture<Void> multiPublish(String topic, List<byte[]> bodies) {
        return request(ch -> NsqCommands.multiPublish(ch.alloc(), topic, bodies)).thenApply(r -> null);
    }

    public CompletableFuture<Void> deferredPublish(String topic, long deferMillis, byte[] body) {
        return request(ch -> NsqCommands.deferredPublish(ch.alloc(), topic, deferMillis, body)).thenApply(r -> null);
    }

    /** Sends CLS: nsqd stops sending messages and answers CLOSE_WAIT; in-flight messages may still be answered. */
    public CompletableFuture<Void> startClose() {
        readyCount = 0;
        return request(ch -> NsqCommands.close(ch.alloc())).thenApply(r -> null);
    }

    /**
     * REQs every message still unanswered on this connection, so that nsqd hands them out again at once instead of
     * after their msg timeout. An exchange still running for one of them can no longer FIN it.
     *
     * @return how many were requeued
     */
    public int requeueUnanswered() {
        int requeued = 0;
        for (NsqMessage message : inFlight.values()) {
            if (message.requeue(0)) {
                requeued++;
            }
        }
        return requeued;
    }

    /** Closes the socket; unanswered messages go back to nsqd's queue when nsqd notices. */
    public CompletableFuture<Void> close() {
        Channel ch = channel;
        if (ch == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> closed = new CompletableFuture<>();
        ch.close().addListener(f -> closed.complete(null));
        return closed;
    }

    @Override
    public void finish(NsqMessage message) {
        inFlight.remove(message.id(), message);
        Channel ch = channel;
        answer(ch, NsqCommands.finish(ch.alloc(), message.id()));
    }

    @Override
    public void requeue(NsqMessage message, long delayMillis) {
        inFlight.remove(message.id(), message);
        Channel ch = channel;
        answer(ch, NsqCommands.requeue(ch.alloc(), message.id(), delayMillis));
    }

    @Override
    public void touch(NsqMessage message) {
        Channel ch = channel;
        answer(ch, NsqCommands.touch(ch.alloc(), message.id()));
    }

    /**
     * Queues FIN/REQ/TOUCH from worker threads and writes them in batches on the event loop: one task, one flush and
     * one syscall for many answers, instead of one event-loop wake-up per message.
     */
    private void answer(Channel ch, ByteBuf command) {
        answers.add(command);
        if (answersScheduled.compareAndSet(false, true)) {
            ch.eventLoop().execute(() -> drainAnswers(ch));
        }
    }

    private void drainAnswers(Channel ch) {
        answersScheduled.set(false); // before polling: an answer queued from now on schedules another drain
        boolean wrote = false;
        ByteBuf command;
        while ((command = answers.poll()) != null) {
            ch.write(command, ch.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ch.flush();
        }
    }

    /** @return the frame decoder of this connection's pipeline (it holds bytes back during the set-up) */
    NsqFrameDecoder newDecoder() {
        decoder = new NsqFrameDecoder(options.maxFrameSize(), this);
        return decoder;
    }

    /** Queues a future for an answer nsqd sends without a command of ours (the OK after a TLS/compression upgrade). */
    CompletableFuture<NsqResponse> expectAnswer() {
        CompletableFuture<NsqResponse> answer = new CompletableFuture<>();
        pending.add(answer);
        return answer;
    }

    /** Writes a command whose answer nsqd sends back, and queues the future that the answer completes. */
    CompletableFuture<NsqResponse> request(java.util.function.Function<Channel, ByteBuf> command) {
        CompletableFuture<NsqResponse> answer = new CompletableFuture<>();
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            answer.completeExceptionally(notConnected());
            return answer;
        }
        Runnable send = () -> {
            if (!ch.isActive()) {
                answer.completeExceptionally(notConnected());
                return;
            }
            // queued and written on the event loop, so answers arrive in the order of this queue
            pending.add(answer);
            ch.writeAndFlush(command.apply(ch)).addListener(f -> {
                if (!f.isSuccess()) {
                    ch.close();
                }
            });
        };
        if (ch.eventLoop().inEventLoop()) {
            send.run();
        } else {
            ch.eventLoop().execute(send);
        }
        return answer;
    }

    private NsqException notConnected() {
        Throwable cause = closeCause;
        return cause == null ? new NsqException("not connected to nsqd " + address)
                : new NsqException("not connected to nsqd " + address + ": " + cause.getMessage(), cause);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        new NsqHandshake(this, ctx, decoder, options).start().whenComplete((granted, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                if (closeCause == null) {
                    closeCause = cause;
                }
                identified.completeExceptionally(cause);
                ctx.close();
                return;
            }
            features = granted;
            identified.complete(this);
        });
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object frame) {
        if (frame instanceof NsqMessage message) {
            lastMessageNanos = message.receivedNanos();
            message.source = sourceText;
            long maxMsgTimeout = features.maxMsgTimeoutMs() > 0 ? features.maxMsgTimeoutMs() : DEFAULT_MAX_MSG_TIMEOUT_MS;
            message.deadlineNanos = message.receivedNanos() + TimeUnit.MILLISECONDS.toNanos(maxMsgTimeout);
            NsqMessage earlier = inFlight.put(message.id(), message);
            if (earlier != null) {
                // nsqd timed the earlier delivery out and sent it again: only the new one may be answered now
                earlier.abandon();
            }
            armTouchSweep(ctx);
            listener.onMessage(this, message);
        } else if (frame instanceof NsqResponse response) {
            onResponse(ctx, response);
        } else if (frame instanceof NsqError error) {
            onError(ctx, error);
        }
    }

    private void onResponse(ChannelHandlerContext ctx, NsqResponse response) {
        if (response.isHeartbeat()) {
            ctx.writeAndFlush(NsqCommands.nop(ctx.alloc()), ctx.voidPromise());
            return;
        }
        CompletableFuture<NsqResponse> answer = pending.poll();
        if (answer == null) {
            LOG.debug("nsqd {} sent a response nobody asked for: {}", address, response.text());
        } else {
            answer.complete(response);
        }
    }

    private void onError(ChannelHandlerContext ctx, NsqError error) {
        if (!error.isFatal()) {
            possibleDuplicates.increment();
            LOG.debug("nsqd {}: {}", address, error.text());
            listener.onNonFatalError(this, error);
            return;
        }
        NsqErrorException exception = new NsqErrorException(error);
        CompletableFuture<NsqResponse> answer = pending.poll();
        if (answer != null) {
            answer.completeExceptionally(exception);
        }
        // nsqd closes the connection after a fatal error; do not wait for it
        closeCause = exception;
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            if (readingPaused) {
                return; // we are not reading (see reading()): silence says nothing about the link
            }
            closeCause = new NsqException("no data from nsqd for " + 2 * options.heartbeatIntervalMs()
                    + " ms (two heartbeat intervals)");
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closeCause == null) {
            closeCause = cause;
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (touchSweep != null) {
            touchSweep.cancel(false);
            touchSweep = null;
            touchSweepArmed = false;
        }
        ByteBuf unsent;
        while ((unsent = answers.poll()) != null) {
            unsent.release(); // nsqd requeues what we could not answer
        }
        NsqException lost = notConnected();
        CompletableFuture<NsqResponse> answer;
        while ((answer = pending.poll()) != null) {
            answer.completeExceptionally(lost);
        }
        identified.completeExceptionally(lost);
        // nsqd requeues what was in flight here; answering it on another connection is impossible
        inFlight.values().forEach(NsqMessage::abandon);
        inFlight.clear();
        listener.onClose(this, closeCause);
        ctx.fireChannelInactive();
    }

    /** On the event loop, as a message arrives: the sweep runs from now until nothing is in flight. */
    private void armTouchSweep(ChannelHandlerContext ctx) {
        if (!options.autoTouch() || touchSweep != null) {
            return;
        }
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(features.msgTimeoutMs());
        long touchAfter = timeoutNanos / 2;
        // sweep often enough that a message is touched well before its timeout, however short it is
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50), Math.min(timeoutNanos / 10, TimeUnit.SECONDS.toNanos(5)));
        touchSweepArmed = true;
        touchSweep = ctx.executor().scheduleAtFixedRate(() -> {
            if (inFlight.isEmpty()) {
                // all answered: disarmed until the next message (which arrives on this event loop too)
                touchSweep.cancel(false);
                touchSweep = null;
                touchSweepArmed = false;
                return;
            }
            long now = System.nanoTime();
            for (NsqMessage message : inFlight.values()) {
                if (now - message.lastTouchNanos >= touchAfter && message.keepsAlive(now)) {
                    message.touch();
                }
            }
        }, period, period, TimeUnit.NANOSECONDS);
    }

    /** @return whether the auto-TOUCH sweep is armed (it is only while messages are in flight) */
    public boolean isTouchSweepArmed() {
        return touchSweepArmed;
    }

    @Override
    public String toString() {
        return "NsqConnection[" + address + "]";
    }
}
