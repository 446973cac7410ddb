package io.nsqpush.app;

import io.nsqpush.testnsqd.ClientRecord;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import io.nsqpush.testsupport.Closing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * One option, every way to set it: the setting (nsq.msg-timeout), the Camel key (camel.component.nsq.msg-timeout), a
 * flag of either; each must reach nsqd in IDENTIFY as the test nsqd received it. Two ways at once with different
 * values stop start-up naming both.
 */
class AliasPathsTest {

    private final TestNsqd nsqd = TestNsqd.start();
    private final CapturedLogs logs = CapturedLogs.capture();
    private Bridge bridge;

    @AfterEach
    void stop() throws Exception {
        Closing.closeAll(bridge, nsqd, logs);
    }

    private long identifiedMsgTimeout() {
        await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.clients().stream().anyMatch(c -> c.identify() != null
                && "orders".equals(c.topic())));
        ClientRecord client = nsqd.clients().stream().filter(c -> "orders".equals(c.topic())).findFirst()
                .orElseThrow();
        return ((Number) client.identify().get("msg_timeout")).longValue();
    }

    private Map<String, String> base() {
        return Map.of("nsq.topic", "orders", "nsq.nsqd-tcp-addresses", nsqd.address(),
                "push.url", "http://127.0.0.1:9/push");
    }

    @Test
    void theSettingReachesIdentify() throws Exception {
        bridge = Bridge.start(with(base(), "nsq.msg-timeout", "45s"));
        assertEquals(45_000, identifiedMsgTimeout());
    }

    @Test
    void theCamelComponentKeyReachesIdentify() throws Exception {
        bridge = Bridge.start(with(base(), "camel.component.nsq.msg-timeout", "45s"));
        assertEquals(45_000, identifiedMsgTimeout());
    }

    @Test
    void theCamelComponentKeyInCamelCaseReachesIdentifyToo() throws Exception {
        bridge = Bridge.start(with(base(), "camel.component.nsq.msgTimeout", "44s"));
        assertEquals(44_000, identifiedMsgTimeout());
    }

    @Test
    void aFlagOfEitherNameReachesIdentify() throws Exception {
        bridge = Bridge.withFlags("--nsq.topic=orders", "--nsq.nsqd-tcp-addresses=" + nsqd.address(),
                "--push.url=http://127.0.0.1:9/push", "--camel.component.nsq.msg-timeout=43s");
        assertEquals(43_000, identifiedMsgTimeout());
    }

    @Test
    void theSameValueWrittenTwoWaysIsFine() throws Exception {
        bridge = Bridge.start(with(with(base(), "nsq.msg-timeout", "42s"), "camel.component.nsq.msg-timeout",
                "42000"));
        assertEquals(42_000, identifiedMsgTimeout());
    }

    @Test
    void twoValuesForOneOptionStopStartUpNamingBothKeys() {
        int exit = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> NsqPushMain.run(new String[0],
                with(with(with(base(), "nsq.msg-timeout", "30s"), "camel.component.nsq.msg-timeout", "45s"),
                        "camel.management.enabled", "false")));
        assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exit);
        List<String> errors = logs.lines().stream().filter(l -> l.level().isMoreSpecificThan(Level.WARN))
                .map(CapturedLogs.Line::message).toList();
        assertEquals(List.of("Invalid setting: nsq.msg-timeout and camel.component.nsq.msg-timeout are the same option,"
                + " set to different values in the command line: set one of them"), errors);
    }

    private static Map<String, String> with(Map<String, String> settings, String key, String value) {
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put(key, value);
        return all;
    }
}
