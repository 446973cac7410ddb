package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NsqCommandsTest {

    private static final UnpooledByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    private static byte[] bytes(ByteBuf buf) {
        byte[] bytes = ByteBufUtil.getBytes(buf);
        buf.release();
        return bytes;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void encodesTheLineCommands() {
        assertArrayEquals(ascii("SUB orders push\n"), bytes(NsqCommands.subscribe(ALLOC, "orders", "push")));
        assertArrayEquals(ascii("RDY 200\n"), bytes(NsqCommands.ready(ALLOC, 200)));
        assertArrayEquals(ascii("FIN 0123456789abcdef\n"), bytes(NsqCommands.finish(ALLOC, "0123456789abcdef")));
        assertArrayEquals(ascii("REQ 0123456789abcdef 2500\n"),
                bytes(NsqCommands.requeue(ALLOC, "0123456789abcdef", 2500)));
        assertArrayEquals(ascii("TOUCH 0123456789abcdef\n"), bytes(NsqCommands.touch(ALLOC, "0123456789abcdef")));
        assertArrayEquals(ascii("NOP\n"), bytes(NsqCommands.nop(ALLOC)));
        assertArrayEquals(ascii("CLS\n"), bytes(NsqCommands.close(ALLOC)));
    }

    @Test
    void neverEncodesANegativeRequeueDelay() {
        assertThrows(IllegalArgumentException.class, () -> NsqCommands.requeue(ALLOC, "0123456789abcdef", -1));
    }

    @Test
    void encodesPublishCommandsWithSizedBodies() {
        assertArrayEquals(ByteBuffer.allocate(10 + 4 + 2).put(ascii("PUB topic\n")).putInt(2).put(ascii("hi")).array(),
                bytes(NsqCommands.publish(ALLOC, "topic", ascii("hi"))));
        assertArrayEquals(ByteBuffer.allocate(16 + 4 + 1).put(ascii("DPUB topic 1500\n")).putInt(1).put(ascii("x")).array(),
                bytes(NsqCommands.deferredPublish(ALLOC, "topic", 1500, ascii("x"))));
        byte[] mpub = ByteBuffer.allocate(11 + 8 + 5 + 6).put(ascii("MPUB topic\n")).putInt(4 + 5 + 6).putInt(2)
                .putInt(1).put(ascii("a")).putInt(2).put(ascii("bc")).array();
        assertArrayEquals(mpub, bytes(NsqCommands.multiPublish(ALLOC, "topic", List.of(ascii("a"), ascii("bc")))));
    }

    @Test
    void startsWithTheMagicThenIdentify() {
        byte[] json = ascii("{\"a\":1}");
        byte[] expected = ByteBuffer.allocate(4 + 9 + 4 + json.length).put(ascii("  V2IDENTIFY\n")).putInt(json.length)
                .put(json).array();
        assertArrayEquals(expected, bytes(NsqCommands.magicAndIdentify(ALLOC, json)));
    }
}
