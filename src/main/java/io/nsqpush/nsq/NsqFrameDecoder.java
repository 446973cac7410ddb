package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Splits nsqd's byte stream into frames: {@code [4-byte size][4-byte type][data]}, size counting type and data.
 * Emits {@link NsqResponse}, {@link NsqError} or {@link NsqMessage}. Anything nsqd cannot have sent (a size below 4 or
 * above the limit, an unknown type, a message shorter than its header or with an ID that is not printable ASCII) raises
 * {@link MalformedFrameException} once; the rest of the stream is discarded, since no frame boundary can be trusted.
 */
final class NsqFrameDecoder extends ByteToMessageDecoder {

    /** 8-byte timestamp, 2-byte attempts, 16-byte ID. */
    static final int MESSAGE_HEADER_SIZE = 26;
    static final int ID_SIZE = 16;

    private final int maxFrameSize;
    private final MessageResponder responder;
    private boolean corrupted;
    /** Set during a read when the stream changes after the frame just decoded: where the rest must be fed in again. */
    private String switchedAfter;
    private boolean switched;

    NsqFrameDecoder(int maxFrameSize, MessageResponder responder) {
        this.maxFrameSize = maxFrameSize;
        this.responder = responder;
        setSingleDecode(true);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (corrupted) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < 4) {
            return;
        }
        int start = in.readerIndex();
        int size = in.getInt(start);
        if (size < 4 || size > maxFrameSize) {
            throw corrupt(in, "frame size " + size + " is outside 4.." + maxFrameSize);
        }
        if (in.readableBytes() < 4 + size) {
            return;
        }
        int typeCode = in.getInt(start + 4);
        FrameType type = FrameType.ofCode(typeCode);
        if (type == null) {
            throw corrupt(in, "unknown frame type " + typeCode);
        }
        int dataSize = size - 4;
        int dataStart = start + 8;
        switch (type) {
            case RESPONSE -> out.add(new NsqResponse(bytes(in, dataStart, dataSize)));
            case ERROR -> out.add(NsqError.parse(in.toString(dataStart, dataSize, StandardCharsets.UTF_8)));
            case MESSAGE -> out.add(message(in, dataStart, dataSize));
        }
        in.readerIndex(start + 4 + size);
    }

    /**
     * During the session set-up nsqd may switch to TLS or compression right after a response, so frames are decoded
     * one at a time: when handling one changed the stream ({@link #streamSwitched}), the bytes read after it are fed
     * in again behind the new handler, before anything read later.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        super.channelRead(ctx, msg);
        while (true) {
            ByteBuf buffered = internalBuffer();
            if (switched) {
                switched = false;
                ByteBuf rest = buffered.readBytes(buffered.readableBytes());
                if (!rest.isReadable()) {
                    rest.release();
                } else if (switchedAfter == null) {
                    ctx.pipeline().fireChannelRead(rest);
                } else {
                    ctx.pipeline().context(switchedAfter).fireChannelRead(rest);
                }
                return;
            }
            if (corrupted || !buffered.isReadable()) {
                return;
            }
            int before = buffered.readableBytes();
            // one more frame (set-up), or all that are complete (after it)
            super.channelRead(ctx, Unpooled.EMPTY_BUFFER);
            if (!isSingleDecode() || (!switched && internalBuffer().readableBytes() == before)) {
                return;
            }
        }
    }

    /** The frame being handled changed the stream: what follows it must pass the handler after {@code after}. */
    void streamSwitched(String after) {
        switched = true;
        switchedAfter = after;
    }

    /** The set-up is over: frames are decoded as they come. */
    void handshakeDone() {
        setSingleDecode(false);
    }

    private NsqMessage message(ByteBuf in, int start, int size) {
        if (size < MESSAGE_HEADER_SIZE) {
            throw corrupt(in, "message frame of " + size + " bytes is shorter than the 26-byte message header");
        }
        long timestamp = in.getLong(start);
        int attempts = in.getUnsignedShort(start + 8);
        int idStart = start + 10;
        for (int i = idStart; i < idStart + ID_SIZE; i++) {
            byte b = in.getByte(i);
            // the ID is echoed in FIN/REQ/TOUCH lines: a space, newline or control byte would corrupt our commands
            if (b <= ' ' || b > '~') {
                throw corrupt(in, "message ID holds byte 0x" + Integer.toHexString(b & 0xff));
            }
        }
        String id = in.toString(idStart, ID_SIZE, StandardCharsets.US_ASCII);
        byte[] body = bytes(in, start + MESSAGE_HEADER_SIZE, size - MESSAGE_HEADER_SIZE);
        return new NsqMessage(id, timestamp, attempts, body, responder);
    }

    private static byte[] bytes(ByteBuf in, int start, int length) {
        byte[] bytes = new byte[length];
        in.getBytes(start, bytes);
        return bytes;
    }

    private MalformedFrameException corrupt(ByteBuf in, String why) {
        corrupted = true;
        in.skipBytes(in.readableBytes());
        return new MalformedFrameException("malformed frame from nsqd: " + why);
    }
}
