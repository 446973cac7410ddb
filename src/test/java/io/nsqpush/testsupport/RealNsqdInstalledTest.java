package io.nsqpush.testsupport;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A missing NSQ binary skips the real-NSQ tests, or fails them when NSQ_PUSH_REAL_NSQD=required (CI). */
class RealNsqdInstalledTest {

    @Test
    void aMissingBinarySkipsSayingWhereItWasLookedFor() {
        TestAbortedException skipped = assertThrows(TestAbortedException.class,
                () -> RealNsqd.installed("nsqd", Optional.empty(), null, false));
        assertTrue(skipped.getMessage().contains("nsqd is not on PATH") && skipped.getMessage().contains("skipped")
                && skipped.getMessage().contains("NSQ_PUSH_REAL_NSQD=required"), skipped.getMessage());
    }

    @Test
    void aMissingBinaryFailsWhenRequired() {
        AssertionError failed = assertThrows(AssertionError.class,
                () -> RealNsqd.installed("nsqd", Optional.empty(), "/nowhere/nsqd", true));
        assertTrue(failed.getMessage().startsWith("nsqd is not an executable: NSQD_BIN=/nowhere/nsqd, and"
                + " NSQ_PUSH_REAL_NSQD=required"), failed.getMessage());
    }

    @Test
    void aBinaryThatIsThereIsUsedEitherWay() {
        Path nsqd = Path.of("/opt/nsq/bin/nsqd");
        assertEquals(nsqd, RealNsqd.installed("nsqd", Optional.of(nsqd), null, true));
        assertEquals(nsqd, RealNsqd.installed("nsqd", Optional.of(nsqd), null, false));
    }
}
