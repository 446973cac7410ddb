package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encodes client commands: a text line ending in {@code \n}, some followed by {@code [4-byte size][bytes]}. */
final class NsqCommands {

    static final byte[] MAGIC_V2 = {' ', ' ', 'V', '2'};
    private static final byte NL = '\n';

    private NsqCommands() {
    }

    static ByteBuf magicAndIdentify(ByteBufAllocator alloc, byte[] identifyJson) {
        ByteBuf buf = alloc.buffer(4 + 9 + 4 + identifyJson.length);
        buf.writeBytes(MAGIC_V2);
        writeLine(buf, "IDENTIFY");
        return writeBody(buf, identifyJson);
    }

    static ByteBuf auth(ByteBufAllocator alloc, byte[] secret) {
        ByteBuf buf = alloc.buffer(5 + 4 + secret.length);
        writeLine(buf, "AUTH");
        return writeBody(buf, secret);
    }

    static ByteBuf subscribe(ByteBufAllocator alloc, String topic, String channel) {
        ByteBuf buf = alloc.buffer(6 + topic.length() + channel.length());
        buf.writeCharSequence("SUB ", StandardCharsets.US_ASCII);
        buf.writeCharSequence(topic, StandardCharsets.US_ASCII);
        buf.writeByte(' ');
        return writeLine(buf, channel);
    }

    static ByteBuf ready(ByteBufAllocator alloc, int count) {
        return writeLine(alloc.buffer(16), "RDY " + count);
    }

    static ByteBuf finish(ByteBufAllocator alloc, String id) {
        return idCommand(alloc, "FIN ", id);
    }

    static ByteBuf touch(ByteBufAllocator alloc, String id) {
        return idCommand(alloc, "TOUCH ", id);
    }

    static ByteBuf requeue(ByteBufAllocator alloc, String id, long delayMillis) {
        if (delayMillis < 0) {
            // nsqd cannot parse a sign: "REQ id -1" is a fatal E_INVALID that drops the connection
            throw new IllegalArgumentException("REQ delay must not be negative: " + delayMillis);
        }
        ByteBuf buf = alloc.buffer(48);
        buf.writeCharSequence("REQ ", StandardCharsets.US_ASCII);
        buf.writeCharSequence(id, StandardCharsets.US_ASCII);
        buf.writeByte(' ');
        return writeLine(buf, Long.toString(delayMillis));
    }

    static ByteBuf nop(ByteBufAllocator alloc) {
        return writeLine(alloc.buffer(4), "NOP");
    }

    static ByteBuf close(ByteBufAllocator alloc) {
        return writeLine(alloc.buffer(4), "CLS");
    }

    static ByteBuf publish(ByteBufAllocator alloc, String topic, byte[] body) {
        ByteBuf buf = alloc.buffer(5 + topic.length() + 4 + body.length);
        writeLine(buf, "PUB " + topic);
        return writeBody(buf, body);
    }

    static ByteBuf deferredPublish(ByteBufAllocator alloc, String topic, long deferMillis, byte[] body) {
        ByteBuf buf = alloc.buffer(32 + topic.length() + body.length);
        writeLine(buf, "DPUB " + topic + " " + deferMillis);
        return writeBody(buf, body);
    }

    static ByteBuf multiPublish(ByteBufAllocator alloc, String topic, List<byte[]> bodies) {
        int size = 4;
        for (byte[] body : bodies) {
            size += 4 + body.length;
        }
        ByteBuf buf = alloc.buffer(6 + topic.length() + 4 + size);
        writeLine(buf, "MPUB " + topic);
        buf.writeInt(size);
        buf.writeInt(bodies.size());
        for (byte[] body : bodies) {
            writeBody(buf, body);
        }
        return buf;
    }

    private static ByteBuf idCommand(ByteBufAllocator alloc, String verb, String id) {
        ByteBuf buf = alloc.buffer(verb.length() + id.length() + 1);
        buf.writeCharSequence(verb, StandardCharsets.US_ASCII);
        return writeLine(buf, id);
    }

    private static ByteBuf writeLine(ByteBuf buf, String line) {
        buf.writeCharSequence(line, StandardCharsets.US_ASCII);
        return buf.writeByte(NL);
    }

    private static ByteBuf writeBody(ByteBuf buf, byte[] body) {
        buf.writeInt(body.length);
        return buf.writeBytes(body);
    }
}
