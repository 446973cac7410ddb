package io.nsqpush.testnsqd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Netty's compression codecs (the ones the product's client uses) as blocking streams for {@link RawNsqClient}, so
 * that the test nsqd's snappy-java / java.util.zip streams are checked against them byte for byte.
 */
final class NettyCodecStreams {

    private NettyCodecStreams() {
    }

    /** Buffers writes; each flush() is one message through the encoder, as a Netty channel's write-and-flush. */
    static OutputStream encoding(OutputStream wire, ChannelHandler encoder) {
        EmbeddedChannel channel = new EmbeddedChannel(encoder);
        return new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                pending.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                pending.write(bytes, offset, length);
            }

            @Override
            public void flush() throws IOException {
                if (pending.size() > 0) {
                    channel.writeOutbound(Unpooled.wrappedBuffer(pending.toByteArray()));
                    pending.reset();
                    ByteBuf encoded;
                    while ((encoded = channel.readOutbound()) != null) {
                        try {
                            encoded.readBytes(wire, encoded.readableBytes());
                        } finally {
                            encoded.release();
                        }
                    }
                }
                wire.flush();
            }
        };
    }

    /** Feeds whatever the wire has into the decoder and hands out what it decoded. */
    static InputStream decoding(InputStream wire, ChannelHandler decoder) {
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        return new InputStream() {
            private final Deque<byte[]> decoded = new ArrayDeque<>();
            private final byte[] chunk = new byte[16 * 1024];
            private int position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                while (decoded.isEmpty()) {
                    int read = wire.read(chunk); // blocks, bounded by the socket's timeout
                    if (read == -1) {
                        return -1;
                    }
                    channel.writeInbound(Unpooled.copiedBuffer(chunk, 0, read));
                    ByteBuf out;
                    while ((out = channel.readInbound()) != null) {
                        try {
                            byte[] bytes = new byte[out.readableBytes()];
                            out.readBytes(bytes);
                            if (bytes.length > 0) {
                                decoded.add(bytes);
                            }
                        } finally {
                            out.release();
                        }
                    }
                }
                byte[] head = decoded.peek();
                int count = Math.min(length, head.length - position);
                System.arraycopy(head, position, buffer, offset, count);
                position += count;
                if (position == head.length) {
                    decoded.poll();
                    position = 0;
                }
                return count;
            }
        };
    }
}
