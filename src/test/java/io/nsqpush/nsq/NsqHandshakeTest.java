package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.SnappyFrameDecoder;
import io.netty.handler.codec.compression.SnappyFrameEncoder;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nsqd sends IDENTIFY's answer and the first compressed OK back to back, so they may arrive in one read: the bytes
 * after the answer must go through the decompressor added after it. Each way the bytes can be cut is fed on purpose
 * (one read, a read per frame, a read per byte) into the connection's own pipeline, so every timing is tested every
 * run rather than whichever the scheduler happens to produce.
 */
class NsqHandshakeTest {

    private static final byte[] IDENTIFY_ANSWER = ("{\"max_rdy_count\":2500,\"version\":\"1.3.0\","
            + "\"max_msg_timeout\":900000,\"msg_timeout\":60000,\"tls_v1\":false,\"deflate\":true,\"deflate_level\":6,"
            + "\"max_deflate_level\":6,\"snappy\":true,\"sample_rate\":0,\"auth_required\":false,"
            + "\"output_buffer_size\":16384,\"output_buffer_timeout\":250}").getBytes(StandardCharsets.UTF_8);

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private enum Cut { ONE_READ, READ_PER_FRAME, READ_PER_BYTE }

    /** The client's connection in a channel whose reads the test makes; the handshake starts as it connects. */
    private static final class Client {
        final NsqConnection connection;
        final EmbeddedChannel channel;

        Client(NsqCompression compression) {
            NsqClientOptions options = new NsqClientOptions("c", "h", "ua", 30_000, 60_000, 2_000, 1 << 20, true,
                    null, compression, 6, null, 0);
            connection = new NsqConnection(NsqAddress.parse("127.0.0.1:4150"), options, new NsqConnectionListener() {
                @Override
                public void onMessage(NsqConnection c, NsqMessage message) {
                }

                @Override
                public void onClose(NsqConnection c, Throwable cause) {
                }
            });
            channel = new EmbeddedChannel(connection.newDecoder(), connection);
        }
    }

    private static byte[] frame(int type, byte[] data) {
        ByteBuf frame = Unpooled.buffer().writeInt(4 + data.length).writeInt(type).writeBytes(data);
        return bytes(frame);
    }

    private static byte[] bytes(ByteBuf buffer) {
        byte[] bytes = new byte[buffer.readableBytes()];
        buffer.readBytes(bytes);
        buffer.release();
        return bytes;
    }

    /** What the compressor nsqd switched to makes of these bytes (one flush, as nsqd flushes after each write). */
    private static byte[] compressed(EmbeddedChannel compressor, byte[] plain) {
        compressor.writeOutbound(Unpooled.wrappedBuffer(plain));
        return drainOutbound(compressor);
    }

    private static byte[] decompressed(Supplier<ChannelHandler> decoder, byte[] wire) {
        EmbeddedChannel inflater = new EmbeddedChannel(decoder.get());
        inflater.writeInbound(Unpooled.wrappedBuffer(wire));
        ByteBuf out = Unpooled.buffer();
        for (ByteBuf part; (part = inflater.readInbound()) != null; ) {
            out.writeBytes(part);
            part.release();
        }
        inflater.finishAndReleaseAll();
        return bytes(out);
    }

    private static byte[] drainOutbound(EmbeddedChannel channel) {
        ByteBuf out = Unpooled.buffer();
        for (ByteBuf part; (part = channel.readOutbound()) != null; ) {
            out.writeBytes(part);
            part.release();
        }
        return bytes(out);
    }

    private void handshake(NsqCompression compression, Supplier<ChannelHandler> serverEncoder,
                           Supplier<ChannelHandler> serverDecoder, Cut cut) {
        Client client = new Client(compression);
        channels.add(client.channel);
        String identify = new String(drainOutbound(client.channel), StandardCharsets.UTF_8);
        assertTrue(identify.startsWith("  V2IDENTIFY\n") && identify.contains("\"" + compression.name()
                .toLowerCase() + "\":true"), identify);

        byte[] answer = frame(0, IDENTIFY_ANSWER);
        EmbeddedChannel compressor = new EmbeddedChannel(serverEncoder.get()); // nsqd's side: one stream
        channels.add(compressor);
        byte[] ok = compressed(compressor, frame(0, "OK".getBytes(StandardCharsets.US_ASCII)));
        List<byte[]> reads = new ArrayList<>();
        switch (cut) {
            case ONE_READ -> {
                byte[] both = new byte[answer.length + ok.length];
                System.arraycopy(answer, 0, both, 0, answer.length);
                System.arraycopy(ok, 0, both, answer.length, ok.length);
                reads.add(both);
            }
            case READ_PER_FRAME -> {
                reads.add(answer);
                reads.add(ok);
            }
            case READ_PER_BYTE -> {
                for (byte[] part : List.of(answer, ok)) {
                    for (byte b : part) {
                        reads.add(new byte[] {b});
                    }
                }
            }
        }
        CompletableFuture<NsqConnection> identified = client.connection.identified();
        for (byte[] read : reads) {
            // (deflate's OK is whole before the sync flush's empty block, so it may be done before the last read)
            assertFalse(identified.isCompletedExceptionally(), cut + ": " + identified);
            client.channel.writeInbound(Unpooled.wrappedBuffer(read));
        }
        assertTrue(identified.isDone() && !identified.isCompletedExceptionally(), cut + ": " + identified);

        // from now on both ways are compressed: SUB goes out through the compressor and its OK comes back through it
        CompletableFuture<Void> subscribed = client.connection.subscribe("t", "c");
        client.channel.runPendingTasks();
        assertEquals("SUB t c\n", new String(decompressed(serverDecoder, drainOutbound(client.channel)),
                StandardCharsets.US_ASCII));
        assertFalse(subscribed.isDone());
        client.channel.writeInbound(Unpooled.wrappedBuffer(compressed(compressor,
                frame(0, "OK".getBytes(StandardCharsets.US_ASCII)))));
        assertTrue(subscribed.isDone() && !subscribed.isCompletedExceptionally(), cut + ": " + subscribed);
    }

    private void snappy(Cut cut) {
        handshake(NsqCompression.SNAPPY, SnappyFrameEncoder::new, () -> new SnappyFrameDecoder(true), cut);
    }

    private void deflate(Cut cut) {
        handshake(NsqCompression.DEFLATE, () -> ZlibCodecFactory.newZlibEncoder(ZlibWrapper.NONE, 6),
                () -> ZlibCodecFactory.newZlibDecoder(ZlibWrapper.NONE), cut);
    }

    @Test
    void snappyAnswerAndCompressedOkInOneRead() {
        snappy(Cut.ONE_READ);
    }

    @Test
    void snappyAnswerAndCompressedOkInReadsOfTheirOwn() {
        snappy(Cut.READ_PER_FRAME);
    }

    @Test
    void snappyAnswerAndCompressedOkByteByByte() {
        snappy(Cut.READ_PER_BYTE);
    }

    @Test
    void deflateAnswerAndCompressedOkInOneRead() {
        deflate(Cut.ONE_READ);
    }

    @Test
    void deflateAnswerAndCompressedOkInReadsOfTheirOwn() {
        deflate(Cut.READ_PER_FRAME);
    }

    @Test
    void deflateAnswerAndCompressedOkByteByByte() {
        deflate(Cut.READ_PER_BYTE);
    }
}
