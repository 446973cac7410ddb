package io.nsqpush.nsq;

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
 * requires it. Runs on the connection's event loop, inside the read that brought each answer: after changing the
 * pipeline it tells the frame decoder, which feeds the bytes that followed the answer through the new handler.
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
                .whenComplete((features, error) -> decoder.handshakeDone());
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
        decoder.streamSwitched(null);
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
        decoder.streamSwitched(before);
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
        return answer.thenAccept(identity -> LOG.debug("AUTH accepted by nsqd {}: {}", connection.address(),
                identity.text()));
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

}
