package io.nsqpush.testsupport;

/** Closing what a test started, in the order given (the bridge before its endpoints and nsqd), whatever fails. */
public final class Closing {

    private Closing() {
    }

    /**
     * @param resources {@link AutoCloseable}s or {@link Iterable}s of them; nulls (never started) are skipped
     * @throws Exception the first failure, after every resource has been closed
     */
    public static void closeAll(Object... resources) throws Exception {
        Exception first = null;
        for (Object resource : resources) {
            Iterable<?> each = resource instanceof Iterable<?> many ? many : java.util.Collections.singletonList(resource);
            for (Object one : each) {
                try {
                    if (one != null) {
                        ((AutoCloseable) one).close();
                    }
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
