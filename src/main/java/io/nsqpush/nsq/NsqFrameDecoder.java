package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
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
    /** During the session set-up nsqd may switch to TLS or compression right after a response: decode one at a time. */
    private boolean handshaking = true;
    private boolean held;

    NsqFrameDecoder(int maxFrameSize, MessageResponder responder) {
        this.maxFrameSize = maxFrameSize;
        this.responder = responder;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (corrupted) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (held) {
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
        held = handshaking;
    }

    /**
     * Takes the bytes read after the last frame, which may belong to a stream the pipeline has just been changed to
     * read (TLS, compression), and lets decoding go on.
     *
     * @param done true once the set-up is over: from then on frames are decoded as they come
     */
    ByteBuf release(boolean done) {
        handshaking = !done;
        held = false;
        ByteBuf buffered = internalBuffer();
        return buffered.readBytes(buffered.readableBytes());
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
