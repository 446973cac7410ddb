package io.nsqpush.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Reads one answer after another on a pooled connection, for the request under way; the body is dropped as it comes.
 * What the HTTP decoder could not read (bytes that are not HTTP, a header block over the limit) fails the request at
 * once and closes the connection, instead of waiting out the deadline.
 */
final class AnswerHandler extends ChannelInboundHandlerAdapter {

    private HttpClient.Call call;
    private boolean started;
    private int status;
    private String retryAfter;
    private boolean keepAlive;

    void begin(HttpClient.Call next) {
        call = next;
        started = false;
    }

    void end(HttpClient.Call finished) {
        if (call == finished) {
            call = null;
            started = false;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            HttpClient.Call current = call;
            if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
                if (current != null) {
                    current.refused(ctx.channel(), unreadable(object.decoderResult()),
                            object.decoderResult().cause());
                } else {
                    ctx.close();
                }
                return;
            }
            if (msg instanceof HttpResponse response) {
                if (response.status().code() < 200) {
                    return; // 100 Continue and the like: the real answer follows
                }
                started = true;
                status = response.status().code();
                retryAfter = response.headers().get(HttpHeaderNames.RETRY_AFTER);
                keepAlive = HttpUtil.isKeepAlive(response);
            }
            if (msg instanceof LastHttpContent && started) {
                started = false;
                if (current != null) {
                    current.answered(ctx.channel(), new HttpAnswer(status, retryAfter), keepAlive);
                } else {
                    ctx.close(); // an answer nobody waits for: the connection is out of step
                }
            }
        } finally {
            if (msg instanceof HttpContent || msg instanceof HttpResponse) {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private static String unreadable(DecoderResult result) {
        if (result.cause() instanceof TooLongFrameException tooLong) {
            return "the answer's status line or headers are too long (" + tooLong.getMessage() + ")";
        }
        return "the endpoint answered something that is not HTTP";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        HttpClient.Call current = call;
        if (current != null) {
            current.closedEarly(ctx.channel(), null, started);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        HttpClient.Call current = call;
        if (current != null) {
            current.closedEarly(ctx.channel(), cause, started);
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent && call == null) {
            ctx.close(); // idle in the pool for too long: servers close such connections, better we do first
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }
}
