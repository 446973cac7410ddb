package io.nsqpush.push;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Writes CMQ's JSON push envelope in CMQ's key order and without whitespace, around the message body rather than
 * through a copy of it: a body that is valid UTF-8 and needs no escaping (most JSON or text bodies) goes out as the
 * message's own bytes between a short head and tail; one that needs escaping is escaped in one pass; one that is not
 * strictly valid UTF-8 is never mangled but sent as base64 with {@code "msgBodyEncoding":"base64"} after
 * {@code msgBody}. The result is byte for byte what Jackson writes for the same envelope (checked by its tests).
 */
public final class CmqJsonBody {

    /** Jackson's own string escaping, for the head's strings (the owner may be any text). */
    private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();
    private static final byte[] OWNER = ascii("{\"TopicOwner\":");
    private static final byte[] TOPIC = ascii(",\"topicName\":\"");
    private static final byte[] CHANNEL = ascii("\",\"subscriptionName\":\"");
    private static final byte[] ID = ascii("\",\"msgId\":\"");
    private static final byte[] BODY = ascii("\",\"msgBody\":\"");
    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BASE64_TAIL = ascii("\",\"msgBodyEncoding\":\"base64\",\"publishTime\":");
    private static final byte[] TAIL = ascii("\",\"publishTime\":");

    /** What {@link #scan} found in a body. */
    enum Text { PLAIN, NEEDS_ESCAPING, NOT_UTF8 }

    private CmqJsonBody() {
    }

    /**
     * @param topicOwner         a {@link Long} (written as a JSON number) or a String (written as a JSON string)
     * @param publishTimeSeconds whole seconds since the epoch
     * @return the envelope; it shares the body's bytes where it can (do not change them while it is in use)
     */
    public static ByteBuf write(Object topicOwner, String topicName, String subscriptionName, String msgId,
                                byte[] msgBody, long publishTimeSeconds) {
        byte[] head = head(topicOwner, topicName, subscriptionName, msgId);
        Text text = scan(msgBody);
        byte[] middle = switch (text) {
            case PLAIN -> msgBody;
            case NEEDS_ESCAPING -> escape(msgBody);
            case NOT_UTF8 -> Base64.getEncoder().encode(msgBody);
        };
        byte[] tail = text == Text.NOT_UTF8 ? BASE64_TAIL : TAIL;
        byte[] time = (publishTimeSeconds + "}").getBytes(StandardCharsets.US_ASCII);
        return Unpooled.wrappedBuffer(head, middle, tail, time);
    }

    /** {@code {"TopicOwner":…,"topicName":"…","subscriptionName":"…","msgId":"…","msgBody":"} */
    private static byte[] head(Object topicOwner, String topicName, String subscriptionName, String msgId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.writeBytes(OWNER);
        if (topicOwner instanceof Long number) {
            out.writeBytes(number.toString().getBytes(StandardCharsets.US_ASCII));
        } else {
            out.write('"');
            out.writeBytes(QUOTE.quoteAsUTF8(String.valueOf(topicOwner)));
            out.write('"');
        }
        out.writeBytes(TOPIC);
        out.writeBytes(QUOTE.quoteAsUTF8(topicName));
        out.writeBytes(CHANNEL);
        out.writeBytes(QUOTE.quoteAsUTF8(subscriptionName));
        out.writeBytes(ID);
        out.writeBytes(QUOTE.quoteAsUTF8(msgId));
        out.writeBytes(BODY);
        return out.toByteArray();
    }

    /**
     * @return whether the bytes are strictly well-formed UTF-8 (Unicode's table 3-7: no overlong forms, no
     *         surrogates, nothing above U+10FFFF, as the JDK's decoder checks) and whether a JSON string of them
     *         needs escapes (a quote, a backslash or a control character below U+0020)
     */
    static Text scan(byte[] bytes) {
        boolean escape = false;
        int i = 0;
        int n = bytes.length;
        while (i < n) {
            int b = bytes[i] & 0xff;
            if (b < 0x80) {
                escape |= b < 0x20 || b == '"' || b == '\\';
                i++;
                continue;
            }
            int length;
            int low = 0x80;
            int high = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                length = 2;
            } else if (b >= 0xe0 && b <= 0xef) {
                length = 3;
                low = b == 0xe0 ? 0xa0 : 0x80;
                high = b == 0xed ? 0x9f : 0xbf;
            } else if (b >= 0xf0 && b <= 0xf4) {
                length = 4;
                low = b == 0xf0 ? 0x90 : 0x80;
                high = b == 0xf4 ? 0x8f : 0xbf;
            } else {
                return Text.NOT_UTF8;
            }
            if (i + length > n) {
                return Text.NOT_UTF8;
            }
            int second = bytes[i + 1] & 0xff;
            if (second < low || second > high) {
                return Text.NOT_UTF8;
            }
            for (int k = 2; k < length; k++) {
                int next = bytes[i + k] & 0xff;
                if (next < 0x80 || next > 0xbf) {
                    return Text.NOT_UTF8;
                }
            }
            i += length;
        }
        return escape ? Text.NEEDS_ESCAPING : Text.PLAIN;
    }

    /**
     * Escapes valid UTF-8 for a JSON string as Jackson does: short forms where JSON has them, else \\u00XX. Sized in a
     * first pass, so a big body costs one array of exactly its escaped size (a growing stream would hold twice the
     * body while it grows and copy it once more at the end).
     */
    private static byte[] escape(byte[] bytes) {
        int length = 0;
        for (byte value : bytes) {
            int b = value & 0xff;
            length += b >= 0x20 && b != '"' && b != '\\' ? 1 : b == '"' || b == '\\' || b == '\b' || b == '\t'
                    || b == '\n' || b == '\f' || b == '\r' ? 2 : 6;
        }
        byte[] out = new byte[length];
        int i = 0;
        for (byte value : bytes) {
            int b = value & 0xff;
            if (b >= 0x20 && b != '"' && b != '\\') {
                out[i++] = value;
                continue;
            }
            out[i++] = '\\';
            switch (b) {
                case '"' -> out[i++] = '"';
                case '\\' -> out[i++] = '\\';
                case '\b' -> out[i++] = 'b';
                case '\t' -> out[i++] = 't';
                case '\n' -> out[i++] = 'n';
                case '\f' -> out[i++] = 'f';
                case '\r' -> out[i++] = 'r';
                default -> {
                    out[i++] = 'u';
                    out[i++] = '0';
                    out[i++] = '0';
                    out[i++] = HEX[b >> 4];
                    out[i++] = HEX[b & 0xf];
                }
            }
        }
        return out;
    }

    /** @return the body as text when it is strictly valid UTF-8, else null */
    static String utf8OrNull(byte[] bytes) {
        return scan(bytes) == Text.NOT_UTF8 ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
