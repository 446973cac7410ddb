package io.nsqpush.app;

import io.nsqpush.testsupport.CapturedLogs;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A setting that cannot work stops start-up with exit code 2 and one line naming the key, the value, what is allowed. */
class StartupValidationTest {

    private final CapturedLogs logs = CapturedLogs.capture();

    @AfterEach
    void stopCapturing() {
        logs.close();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "push.format              | XML              | push.format 'XML' is not a format: allowed JSON, SIMPLIFIED",
        "push.url                 | not a url        | push.url 'not a url' is not a valid endpoint URL: allowed an absolute http:// or https:// URL with a host",
        "push.url                 | ftp://host/x     | push.url 'ftp://host/x' is not a valid endpoint URL",
        "nsq.nsqd-tcp-addresses   | localhost        | nsq.nsqd-tcp-addresses: 'localhost' is not an address of the form host:port; allowed a comma-separated list of host:port",
        "nsq.nsqd-tcp-addresses   | host:99999       | nsq.nsqd-tcp-addresses: 'host:99999' has no valid port",
        "nsq.max-attempts         | 0                | nsq.max-attempts 0 is out of range: allowed 1..65535",
        "nsq.max-in-flight        | lots             | nsq.max-in-flight 'lots' is not a whole number: allowed 1..65535",
        "nsq.topic                | bad topic!       | nsq.topic 'bad topic!' is not a valid NSQ name",
        "push.max-requeue-delay   | 7200000          | push.max-requeue-delay 7200000 is out of range: allowed 0..3600000 (milliseconds)",
        "push.requeue-delay       | 3600001          | push.requeue-delay 3600001 is out of range: allowed 0..3600000 (milliseconds)",
        "push.timeout             | 15s              | push.timeout '15s' is not a whole number: allowed 1..2147483647 (milliseconds)",
        "dead-letter.uri          | nowhere          | dead-letter.uri 'nowhere' is not a Camel endpoint URI",
        "dead-letter.uri          | nsq:a#ephemeral.dead-letter | dead-letter.uri 'nsq:a#ephemeral.dead-letter': topic 'a#ephemeral.dead-letter' is not a valid NSQ name",
        "dead-letter.uri          | nsq:x.dead-letter | dead-letter.uri 'nsq:x.dead-letter' publishes to NSQ but names no nsqd (servers=)",
        "nsq.lookupd-http-addresses | http://         | nsq.lookupd-http-addresses: 'http://' is not an nsqlookupd HTTP address",
        "push.headers             | X-Env prod       | push.headers: 'X-Env prod' is not a header: allowed 'Name: value' pairs separated by ';'",
        "push.proxy               | proxyhost        | push.proxy 'proxyhost' is not an address of the form host:port: allowed host:port, or empty",
        "push.trust-store         | /no/such.p12     | push.trust-store '/no/such.p12' is not a readable file",
        "push.redeliveries        | 60               | push.redeliveries 60 with push.timeout 15000 and push.redelivery-delay 500: one attempt can take 4158500 ms, above nsqd's default --max-msg-timeout of 900000 ms",
    })
    void aBadSettingStopsStartupWithOneLineNamingIt(String key, String value, String expected) throws Exception {
        int exitCode = NsqPushMain.run(new String[0], Map.of(key, value, "routes.reload-enabled", "false"));

        assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exitCode);
        List<CapturedLogs.Line> errors = logs.lines().stream().filter(l -> l.level().isMoreSpecificThan(Level.WARN))
                .toList();
        assertEquals(1, errors.size(), "one line, got: " + errors);
        assertEquals(true, errors.get(0).message().startsWith("Invalid setting: " + expected), errors.get(0).message());
    }
}
