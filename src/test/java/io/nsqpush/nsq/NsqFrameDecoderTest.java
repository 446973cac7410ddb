package io.nsqpush.nsq;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NsqFrameDecoderTest {

    private final List<String> answers = new ArrayList<>();
    private final MessageResponder responder = new MessageResponder() {
        @Override
        public void finish(NsqMessage message) {
            answers.add("FIN " + message.id());
        }

        @Override
        public void requeue(NsqMessage message, long delayMillis) {
            answers.add("REQ " + message.id() + " " + delayMillis);
        }

        @Override
        public void touch(NsqMessage message) {
            answers.add("TOUCH " + message.id());
        }
    };

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new NsqFrameDecoder(1024, responder));
    }

    static byte[] frame(int type, byte[] data) {
        return ByteBuffer.allocate(8 + data.length).putInt(4 + data.length).putInt(type).put(data).array();
    }

    static byte[] messageData(long timestamp, int attempts, String id, byte[] body) {
        return ByteBuffer.allocate(26 + body.length).putLong(timestamp).putShort((short) attempts)
                .put(id.getBytes(StandardCharsets.US_ASCII)).put(body).array();
    }

    @Test
    void decodesAMessageSplitAcrossReads() {
        EmbeddedChannel ch = channel();
        byte[] bytes = frame(2, messageData(1_700_000_000_123_456_789L, 3, "0123456789abcdef", "héllo".getBytes(StandardCharsets.UTF_8)));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, 5));
        assertNull(ch.readInbound(), "nothing before the whole frame arrived");
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, 5, bytes.length - 5));
        NsqMessage message = ch.readInbound();
        assertEquals("0123456789abcdef", message.id());
        assertEquals(3, message.attempts());
        assertEquals(1_700_000_000_123_456_789L, message.timestampNanos());
        assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), message.body());
        assertTrue(ch.isOpen());
    }

    @Test
    void decodesResponsesAndErrorsInOneRead() {
        EmbeddedChannel ch = channel();
        ByteBuf in = Unpooled.wrappedBuffer(frame(0, "_heartbeat_".getBytes(StandardCharsets.US_ASCII)),
                frame(1, "E_FIN_FAILED FIN 0123456789abcdef failed".getBytes(StandardCharsets.US_ASCII)),
                frame(0, "OK".getBytes(StandardCharsets.US_ASCII)));
        ch.writeInbound(in);
        NsqResponse heartbeat = ch.readInbound();
        assertTrue(heartbeat.isHeartbeat());
        NsqError error = ch.readInbound();
        assertEquals("E_FIN_FAILED", error.code());
        assertFalse(error.isFatal());
        NsqResponse ok = ch.readInbound();
        assertEquals("OK", ok.text());
        assertFalse(ok.isHeartbeat());
    }

    @Test
    void rejectsANegativeSize() {
        assertMalformed(ByteBuffer.allocate(8).putInt(-5).putInt(0).array(), "frame size -5 is outside 4..1024");
    }

    @Test
    void rejectsAnOversizedFrameBeforeBufferingIt() {
        assertMalformed(ByteBuffer.allocate(8).putInt(1025).putInt(2).array(), "frame size 1025 is outside 4..1024");
    }

    @Test
    void rejectsAnUnknownFrameType() {
        assertMalformed(frame(7, new byte[3]), "unknown frame type 7");
    }

    @Test
    void rejectsAMessageShorterThanItsHeader() {
        assertMalformed(frame(2, new byte[25]), "message frame of 25 bytes is shorter than the 26-byte message header");
    }

    @Test
    void rejectsAMessageIdThatCannotBeEchoedInACommand() {
        assertMalformed(frame(2, messageData(1, 1, "0123456789abc\nef", new byte[0])), "message ID holds byte 0xa");
    }

    private void assertMalformed(byte[] bytes, String why) {
        EmbeddedChannel ch = channel();
        // a good frame after the bad one must not be decoded: after corruption no boundary can be trusted
        ByteBuf in = Unpooled.wrappedBuffer(bytes, frame(0, "OK".getBytes(StandardCharsets.US_ASCII)));
        MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> ch.writeInbound(in));
        assertEquals("malformed frame from nsqd: " + why, e.getMessage());
        ch.writeInbound(Unpooled.wrappedBuffer(frame(0, "OK".getBytes(StandardCharsets.US_ASCII))));
        assertNull(ch.readInbound(), "nothing decoded after a malformed frame");
    }
}
