package io.nsqpush.nsq;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random and truncated input for the frame decoder, with a fixed seed and a bounded number of cases: it either decodes
 * frames or raises MalformedFrameException (and then decodes nothing more); no other exception ever escapes.
 */
class NsqFrameDecoderFuzzTest {

    private static final long SEED = 20261121L;
    private static final int CASES = 5_000;

    private final MessageResponder ignore = new MessageResponder() {
        @Override
        public void finish(NsqMessage message) {
        }

        @Override
        public void requeue(NsqMessage message, long delayMillis) {
        }

        @Override
        public void touch(NsqMessage message) {
        }
    };

    @Test
    void randomBytesNeverEscapeAsAnythingButMalformedFrame() {
        Random random = new Random(SEED);
        int malformed = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            if (feed(garbage, random)) {
                malformed++;
            }
        }
        // most random headers are nonsense: the decoder must have said so, not waited forever
        assertTrue(malformed > CASES / 2, "malformed " + malformed + " of " + CASES);
    }

    @Test
    void mutatedAndTruncatedValidFramesNeverEscapeAsAnythingButMalformedFrame() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < CASES; i++) {
            byte[] valid = validFrame(random);
            byte[] mutated = valid.clone();
            int flips = random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
            }
            int cut = random.nextBoolean() ? mutated.length : random.nextInt(mutated.length + 1);
            byte[] truncated = new byte[cut];
            System.arraycopy(mutated, 0, truncated, 0, cut);
            feed(truncated, random);
        }
    }

    @Test
    void aTruncatedMessageWaitsForTheRestAndThenDecodes() {
        Random random = new Random(SEED + 2);
        for (int i = 0; i < 200; i++) {
            byte[] frame = messageFrame(random);
            EmbeddedChannel channel = new EmbeddedChannel(new NsqFrameDecoder(1 << 20, ignore));
            int cut = 1 + random.nextInt(frame.length - 1);
            channel.writeInbound(Unpooled.wrappedBuffer(frame, 0, cut));
            assertNull(channel.readInbound(), "nothing before the whole frame");
            channel.writeInbound(Unpooled.wrappedBuffer(frame, cut, frame.length - cut));
            assertTrue(channel.readInbound() instanceof NsqMessage);
            channel.finishAndReleaseAll();
        }
    }

    /** @return true when the input was reported malformed */
    private boolean feed(byte[] input, Random random) {
        EmbeddedChannel channel = new EmbeddedChannel(new NsqFrameDecoder(1 << 20, ignore));
        try {
            // in random pieces, as TCP may deliver them
            int offset = 0;
            while (offset < input.length) {
                int piece = 1 + random.nextInt(input.length - offset);
                channel.writeInbound(Unpooled.wrappedBuffer(input, offset, piece));
                offset += piece;
            }
            return false;
        } catch (MalformedFrameException e) {
            // after a bad frame no boundary can be trusted: even a valid frame is not decoded any more
            int decoded = channel.inboundMessages().size();
            channel.writeInbound(Unpooled.wrappedBuffer(validFrame(random)));
            assertEquals(decoded, channel.inboundMessages().size());
            return true;
        } catch (RuntimeException e) {
            fail("only MalformedFrameException may escape, got " + e, e);
            return false;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static byte[] validFrame(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> NsqFrameDecoderTest.frame(0, "OK".getBytes(StandardCharsets.US_ASCII));
            case 1 -> NsqFrameDecoderTest.frame(1, "E_FIN_FAILED x".getBytes(StandardCharsets.US_ASCII));
            default -> messageFrame(random);
        };
    }

    private static byte[] messageFrame(Random random) {
        byte[] body = new byte[random.nextInt(100)];
        random.nextBytes(body);
        return NsqFrameDecoderTest.frame(2, ByteBuffer.allocate(26 + body.length).putLong(random.nextLong())
                .putShort((short) 1).put("0123456789abcdef".getBytes(StandardCharsets.US_ASCII)).put(body).array());
    }
}
