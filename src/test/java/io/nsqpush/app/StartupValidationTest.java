package io.nsqpush.app;

import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A setting that cannot work stops start-up with exit code 2 and one line naming the key, the value, what is allowed. */
class StartupValidationTest {

    private final CapturedLogs logs = CapturedLogs.capture();

    @AfterEach
    void stopCapturing() {
        logs.close();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "push.format              | XML              | push.format 'XML' is not one of them: allowed JSON, SIMPLIFIED",
        "push.url                 | not a url        | push.url 'not a url' is not a valid endpoint URL: allowed absolute http:// or https:// URLs",
        "push.url                 | ftp://host/x     | push.url 'ftp://host/x' is not a valid endpoint URL",
        "push.url                 | http://u:pw@h/x,ftp://t0ken@h/ | push.url 'ftp://xxxxxx@h/' is not a valid endpoint URL",
        "push.method              | GET              | push.url 'http://127.0.0.1:8080/push' is not a GET address: allowed a URL with %s once",
        "nsq.nsqd-tcp-addresses   | localhost        | nsq.nsqd-tcp-addresses 'localhost' is not a list of addresses ('localhost' is not an address of the form host:port): allowed comma-separated host:port",
        "nsq.nsqd-tcp-addresses   | host:99999       | nsq.nsqd-tcp-addresses 'host:99999' is not a list of addresses ('host:99999' has no valid port",
        "nsq.max-attempts         | 0                | nsq.max-attempts '0' is out of range: allowed 1..65535",
        "nsq.max-in-flight        | lots             | nsq.max-in-flight 'lots' is not a whole number: allowed 1..65535",
        "nsq.topic                | bad topic!       | nsq.topic 'bad topic!' is not a valid NSQ name: allowed 1-64 characters",
        "nsq.msg-timeout          | 20m              | nsq.msg-timeout '20m' is out of range: allowed 1s..15m",
        "push.max-requeue-delay   | 2h               | push.max-requeue-delay '2h' is out of range: allowed 0..1h",
        "push.requeue-delay       | 3600001          | push.requeue-delay '3600001' is out of range: allowed 0..1h",
        "push.requeue-delay       | 20m              | push.max-requeue-delay '15m' is below push.requeue-delay (20m): allowed at least push.requeue-delay",
        "push.timeout             | 10x              | push.timeout '10x' is not a duration: allowed 1ms..15m, a duration such as 250ms, 15s, 10m, 1h or 1m30s (a bare number is milliseconds)",
        "push.redelivery-delay    | 1m 30s           | push.redelivery-delay '1m 30s' is not a duration",
        "push.pause               | 2m               | push.max-pause '1m' is below push.pause (2m)",
        "push.dead-letter-on      | 400,abc          | push.dead-letter-on '400,abc' is not a list of HTTP statuses",
        "push.dead-letter-on      | 200              | push.dead-letter-on '200' holds a 2xx status",
        "push.signing-secret      | secret-in-clear  | push.signing-secret '(secret, not shown)' is not a signing secret: allowed whsec_",
        "push.sample              | 1.5              | push.sample '1.5' is out of range: allowed a number from 0.0 to 1.0",
        "status.interval          | 60               | status.interval '60' is out of range: allowed 0 (off) or 1s..1d",
        "dead-letter.uri          | nowhere          | dead-letter.uri 'nowhere' is not a Camel endpoint URI",
        "dead-letter.uri          | bogus:xyz?token=s3cret | dead-letter.uri 'bogus:xyz?token=xxxxxx' names the scheme 'bogus', which no component on the class path serves",
        "camel.management.port    | 70000            | camel.management.port '70000' is out of range: allowed 0..65535",
        "camel.component.nsq.io-threads | 0          | camel.component.nsq.io-threads '0' is out of range: allowed 1..256",
        "nsq.max-in-flight-bytes  | -1               | nsq.max-in-flight-bytes '-1' is out of range: allowed 0..1099511627776",
        "camel.component.nsq.lookupd-max-producers | 0 | camel.component.nsq.lookupd-max-producers '0' is out of range: allowed 1..65535",
        "dead-letter.uri          | nsq:a#ephemeral.dead-letter | dead-letter.uri 'nsq:a#ephemeral.dead-letter' names the topic 'a#ephemeral.dead-letter', which is not a valid NSQ topic",
        "nsq.lookupd-http-addresses | http://         | nsq.lookupd-http-addresses 'http://' is not a list of nsqlookupd addresses",
        "nsq.lookupd-http-addresses | 'ftp://ops:t0ken@lookupd:4161' | nsq.lookupd-http-addresses 'ftp://xxxxxx@lookupd:4161' is not a list of nsqlookupd addresses",
        "push.headers             | X-Env prod       | push.headers 'X-Env prod' is not a list of headers: allowed 'Name: value' pairs separated by ';'",
        "push.headers             | Authorization Bearer s3cret | push.headers 'xxxxxx' is not a list of headers: allowed 'Name: value' pairs separated by ';'",
        "push.proxy               | proxyhost        | push.proxy 'proxyhost' is not an address of the form host:port: allowed host:port, or empty",
        "push.trust-store         | /no/such.p12     | push.trust-store '/no/such.p12' is not a readable file",
        "push.redeliveries        | 60               | push.redeliveries 60 with push.timeout 15s and push.redelivery-delay 500ms: one attempt can take 1h9m18s500ms, above nsqd's default --max-msg-timeout of 15m",
        "push.retry-policy        | LINEAR           | push.retry-policy 'LINEAR' is not one of them: allowed NSQ, BACKOFF_RETRY, EXPONENTIAL_DECAY_RETRY",
        "routes.reload-enabled    | yes              | routes.reload-enabled 'yes' is not a boolean: allowed true, false",
    })
    void aBadSettingStopsStartupWithOneLineNamingIt(String key, String value, String expected) throws Exception {
        Map<String, String> settings = new java.util.HashMap<>(Map.of("routes.reload-enabled", "false"));
        settings.put(key, value);
        // a setting that is wrongly accepted would start the bridge and never return: fail instead of hanging
        int exitCode = assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> NsqPushMain.run(new String[0], settings), key + "=" + value + " did not stop start-up");

        assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exitCode);
        List<CapturedLogs.Line> errors = logs.lines().stream().filter(l -> l.level().isMoreSpecificThan(Level.WARN))
                .toList();
        assertEquals(1, errors.size(), "one line, got: " + errors);
        assertEquals(true, errors.get(0).message().startsWith("Invalid setting: " + expected), errors.get(0).message());
        assertEquals(false, errors.get(0).message().contains("pw@") || errors.get(0).message().contains("t0ken"),
                "secrets in URLs are masked: " + errors.get(0).message());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "'- route:\n    from:\n      uri: timer:x\n      steps:\n        - bogusStep: {}\n' | Invalid routes: Unknown node id: bogusStep in file:",
        "'- route:\n  from: [unclosed\n'                                                 | Invalid routes: ",
        "'- route:\n    from:\n      uri: timer:x\n      steps:\n        - bogusStep: {uri: \"http://u:s3cr3t@h/x\"}\n' | Invalid routes: Unknown node id: bogusStep",
    })
    void aRouteFileThatCannotBeReadStopsStartupWithOneLineNamingTheFile(String yaml, String expected,
                                                                        @TempDir Path routes) throws Exception {
        Files.writeString(routes.resolve("broken.yaml"), yaml.replace("\\n", "\n"));
        int exitCode = NsqPushMain.run(new String[0], Map.of("routes.reload-enabled", "false",
                "routes.directory", routes.toString()));

        assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exitCode);
        List<CapturedLogs.Line> errors = logs.lines().stream().filter(l -> l.level().isMoreSpecificThan(Level.WARN))
                .toList();
        assertEquals(1, errors.size(), "one line, got: " + errors);
        String line = errors.get(0).message();
        assertTrue(line.startsWith(expected) && line.contains("broken.yaml") && line.contains("line ")
                && !line.contains("\n"), line);
        assertTrue(!line.contains("s3cr") && !line.contains("{uri"), "the offending line is not quoted: " + line);
    }

    @Test
    void aManagementPortInUseStopsStartupWithOneLineNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String port = String.valueOf(taken.getLocalPort());
            int exitCode = NsqPushMain.run(new String[0], Map.of("routes.reload-enabled", "false",
                    "camel.management.enabled", "true", "camel.management.host", "127.0.0.1",
                    "camel.management.port", port));

            assertEquals(NsqPushMain.EXIT_INVALID_SETTING, exitCode);
            List<CapturedLogs.Line> errors = logs.lines().stream()
                    .filter(l -> l.level().isMoreSpecificThan(Level.WARN)).toList();
            assertEquals(1, errors.size(), "one line, got: " + errors);
            assertTrue(errors.get(0).message().startsWith("Invalid setting: camel.management.port '" + port
                    + "' cannot be listened on at 127.0.0.1"), errors.get(0).message());
            assertTrue(errors.get(0).message().endsWith(
                    "allowed a free port, 0 for any, or camel.management.enabled=false"), errors.get(0).message());
        }
    }
}
