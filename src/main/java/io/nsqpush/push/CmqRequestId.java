package io.nsqpush.push;

import java.util.concurrent.ThreadLocalRandom;

/** Makes {@code x-cmq-request-id}s: the delivery step gives every HTTP request (each retry too) its own. */
public final class CmqRequestId {

    private CmqRequestId() {
    }


    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * @return 128 random bits as 32 lower-case hex digits: unique in practice. ThreadLocalRandom, not UUID's shared
     *         SecureRandom, which serializes hundreds of delivery threads on one lock
     */
    public static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[32];
        long bits = random.nextLong();
        for (int i = 0; i < 16; i++, bits >>>= 4) {
            id[i] = HEX[(int) (bits & 0xf)];
        }
        bits = random.nextLong();
        for (int i = 16; i < 32; i++, bits >>>= 4) {
            id[i] = HEX[(int) (bits & 0xf)];
        }
        return new String(id);
    }
}
