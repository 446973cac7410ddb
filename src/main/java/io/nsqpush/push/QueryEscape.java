package io.nsqpush.push;

/**
 * Escapes a message body for a GET URL exactly as nsq_to_http does (Go's {@code url.QueryEscape}): letters, digits and
 * {@code -_.~} stay, a space becomes {@code +}, every other byte {@code %XX}. Works on bytes, so a body that is not
 * UTF-8 goes through unchanged in meaning.
 */
public final class QueryEscape {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private QueryEscape() {
    }

    public static String escape(byte[] body) {
        StringBuilder out = new StringBuilder(body.length + 16);
        for (byte b : body) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append((char) c);
            } else if (c == ' ') {
                out.append('+');
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }
}
