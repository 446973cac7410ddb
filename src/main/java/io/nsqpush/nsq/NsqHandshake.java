package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.SnappyFrameDecoder;
import io.netty.handler.codec.compression.SnappyFrameEncoder;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.ssl.SslHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The session set-up after the TCP connect, as nsqd runs it: magic and IDENTIFY; then, as granted in IDENTIFY's answer,
 * TLS and then snappy or deflate, each confirmed by an OK that already travels in the new stream; then AUTH when nsqd
 * requires it. Runs on the connection's event loop. Between steps the frame decoder holds what it has read but not
 * decoded, because those bytes may belong to the new stream; they are fed back in once the pipeline has changed.
 */
final class NsqHandshake {

    private static final Logger LOG = LoggerFactory.getLogger(NsqHandshake.class);
    static final String TLS = "nsq-tls";
    static final String INFLATE = "nsq-inflate";
    static final String DEFLATE = "nsq-deflate";

    private final NsqConnection connection;
    private final ChannelHandlerContext ctx;
    private final NsqFrameDecoder decoder;
    private final NsqClientOptions options;

    NsqHandshake(NsqConnection connection, ChannelHandlerContext ctx, NsqFrameDecoder decoder,
                 NsqClientOptions options) {
        this.connection = connection;
        this.ctx = ctx;
        this.decoder = decoder;
        this.options = options;
    }

    /** @return what nsqd granted, once the connection is ready for SUB or PUB */
    CompletableFuture<IdentifyResponse> start() {
        return connection.request(ch -> NsqCommands.magicAndIdentify(ch.alloc(), Identify.request(options)))
                .thenCompose(answer -> {
                    IdentifyResponse features = Identify.parse(answer.data(), options);
                    return upgradeTls(features).thenCompose(v -> upgradeCompression(features))
                            .thenCompose(v -> authenticate(features)).thenApply(v -> features);
                })
                .whenComplete((features, error) -> resume(innermost(), true));
    }

    private CompletableFuture<Void> upgradeTls(IdentifyResponse features) {
        if (options.tls() == null) {
            return CompletableFuture.completedFuture(null);
        }
        if (!features.tls()) {
            // never fall back to plain text when TLS was asked for
            throw new NsqException("nsqd " + connection.address() + " does not offer TLS (start it with --tls-cert"
                    + " and --tls-key)");
        }
        NsqAddress address = connection.address();
        SslHandler tls = options.tls().context().newHandler(ctx.alloc(), address.host(), address.port());
        if (options.tls().verifyHostname()) {
            SSLEngine engine = tls.engine();
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(parameters);
        }
        CompletableFuture<NsqResponse> ok = connection.expectAnswer();
        ctx.pipeline().addFirst(TLS, tls);
        resume(null, false);
        return ok.thenAccept(answer -> requireOk(answer, "TLS"));
    }

    private CompletableFuture<Void> upgradeCompression(IdentifyResponse features) {
        NsqCompression asked = options.compression();
        boolean granted = asked == NsqCompression.SNAPPY ? features.snappy() : features.deflate();
        if (asked == NsqCompression.NONE) {
            return CompletableFuture.completedFuture(null);
        }
        if (!granted) {
            LOG.info("nsqd {} does not offer {} compression: continuing uncompressed", connection.address(),
                    asked.name().toLowerCase());
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<NsqResponse> ok = connection.expectAnswer();
        ChannelPipeline pipeline = ctx.pipeline();
        String before = pipeline.get(TLS) != null ? TLS : null;
        if (asked == NsqCompression.SNAPPY) {
            add(pipeline, before, INFLATE, new SnappyFrameDecoder(true));
            pipeline.addAfter(INFLATE, DEFLATE, new SnappyFrameEncoder());
        } else {
            add(pipeline, before, INFLATE, ZlibCodecFactory.newZlibDecoder(ZlibWrapper.NONE));
            pipeline.addAfter(INFLATE, DEFLATE, ZlibCodecFactory.newZlibEncoder(ZlibWrapper.NONE,
                    options.deflateLevel()));
        }
        resume(before, false);
        return ok.thenAccept(answer -> requireOk(answer, asked.name().toLowerCase()));
    }

    private CompletableFuture<Void> authenticate(IdentifyResponse features) {
        if (!features.authRequired()) {
            return CompletableFuture.completedFuture(null);
        }
        if (options.authSecret() == null || options.authSecret().isEmpty()) {
            throw new NsqException("nsqd " + connection.address() + " requires AUTH: set the auth secret");
        }
        byte[] secret = options.authSecret().getBytes(StandardCharsets.UTF_8);
        CompletableFuture<NsqResponse> answer = connection.request(ch -> NsqCommands.auth(ch.alloc(), secret));
        resume(innermost(), false);
        return answer.thenAccept(identity -> LOG.debug("AUTH accepted by nsqd {}: {}", connection.address(),
                identity.text()));
    }

    /** @return the handler whose output is plain NSQ frames: the decompressor, TLS, or none (the socket) */
    private String innermost() {
        ChannelPipeline pipeline = ctx.pipeline();
        return pipeline.get(INFLATE) != null ? INFLATE : pipeline.get(TLS) != null ? TLS : null;
    }

    private static void add(ChannelPipeline pipeline, String after, String name, io.netty.channel.ChannelHandler h) {
        if (after == null) {
            pipeline.addFirst(name, h);
        } else {
            pipeline.addAfter(after, name, h);
        }
    }

    private void requireOk(NsqResponse answer, String step) {
        if (!"OK".equals(answer.text())) {
            throw new NsqException("nsqd " + connection.address() + " answered " + answer.text() + " after the " + step
                    + " upgrade, not OK");
        }
    }

    /**
     * Feeds the bytes the decoder held back into the pipeline again, after the handler named {@code after} (from the
     * socket when null), so that they pass through what was just added. Later, on the event loop, not from inside the
     * read that is running now.
     */
    private void resume(String after, boolean done) {
        ctx.executor().execute(() -> {
            ByteBuf held = decoder.release(done);
            if (!held.isReadable()) {
                held.release();
                return;
            }
            if (after == null) {
                ctx.pipeline().fireChannelRead(held);
            } else {
                ctx.pipeline().context(after).fireChannelRead(held);
            }
        });
    }
}
