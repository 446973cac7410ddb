package io.nsqpush.app;

import io.nsqpush.config.InvalidValueException;
import io.nsqpush.testsupport.CapturedLogs;
import io.nsqpush.testsupport.CapturedLogs.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nsq_to_http's flags, --format and every setting as --key=value. */
class CommandLineTest {

    @Test
    void theSeedsCommandLineMapsToSettingsWithNsqToHttpsDefaults() {
        CommandLine.Parsed parsed = CommandLine.parse("--channel=ch", "--topic=test",
                "--post=http://api.example.com/coupon/test", "--nsqd-tcp-address=127.0.0.1:4150",
                "--content-type=application/x-www-form-urlencoded");

        assertEquals(CommandLine.Action.RUN, parsed.action());
        assertEquals(Map.of("nsq.channel", "ch", "nsq.topic", "test", "push.url", "http://api.example.com/coupon/test",
                "push.method", "POST", "nsq.nsqd-tcp-addresses", "127.0.0.1:4150", "nsq.lookupd-http-addresses", "",
                "push.content-type", "application/x-www-form-urlencoded"), parsed.overrides());
        // where the tools overlap, nsq_to_http's defaults: the raw body, its content type and timeouts, --n 100
        assertEquals("SIMPLIFIED", parsed.defaults().get("push.format"));
        assertEquals("20s", parsed.defaults().get("push.timeout"));
        assertEquals("nsq_to_http", parsed.defaults().get("nsq.channel"));
        assertEquals("200", parsed.defaults().get("nsq.max-in-flight"));
        assertEquals("100", parsed.defaults().get("push.concurrency"));
    }

    @Test
    void goSyntaxRepeatedFlagsAndSpaceSeparatedValues() {
        CommandLine.Parsed parsed = CommandLine.parse("-topic", "t", "--lookupd-http-address", "l1:4161",
                "-lookupd-http-address=l2:4161", "--get=http://a/x?m=%s", "--get", "http://b/y?m=%s",
                "--header=X-A: 1", "--header", "Accept: text/plain; charset=utf-8", "--mode=round-robin",
                "--http-client-request-timeout=1m30s", "--http-client-connect-timeout=500ms", "--status-every=10");

        Map<String, String> o = parsed.overrides();
        assertEquals("l1:4161,l2:4161", o.get("nsq.lookupd-http-addresses"));
        assertEquals("", o.get("nsq.nsqd-tcp-addresses"), "lookupd only: the file's nsqd is not added");
        assertEquals("http://a/x?m=%s,http://b/y?m=%s", o.get("push.url"));
        assertEquals("GET", o.get("push.method"));
        assertEquals("X-A: 1; Accept: text/plain; charset=utf-8", o.get("push.headers"));
        assertEquals(Map.of("X-A", "1", "Accept", "text/plain; charset=utf-8"),
                io.nsqpush.push.CmqFormat.parseHeaders("push.headers", o.get("push.headers")));
        assertEquals("round-robin", o.get("push.mode"));
        assertEquals("1m30s", o.get("push.timeout"));
        assertEquals("500ms", o.get("push.connect-timeout"));
        assertEquals("10", o.get("status.every"));
    }

    @Test
    void nIsTheConcurrencyAndMaxInFlightTheWindow() {
        Map<String, String> both = CommandLine.parse("--n=50", "--max-in-flight=300").overrides();
        assertEquals("50", both.get("push.concurrency"));
        assertEquals("300", both.get("nsq.max-in-flight"));
        assertEquals("300", CommandLine.parse("--max-in-flight=300").overrides().get("nsq.max-in-flight"));
        assertNull(CommandLine.parse("--max-in-flight=300").overrides().get("push.concurrency"));
        assertEquals("500", CommandLine.parse("--n=500").overrides().get("push.concurrency"));
        assertNull(CommandLine.parse("--n=500").overrides().get("nsq.max-in-flight"));
    }

    @Test
    void consumerOptionsWithAnEquivalentMapToSettings() {
        Map<String, String> o = CommandLine.parse("--consumer-opt=max_attempts,3", "--consumer-opt=msg_timeout,2m",
                "--consumer-opt=tls_v1", "--consumer-opt=snappy,true", "--consumer-opt=auth_secret,s3cret",
                "--consumer-opt=max_requeue_delay,30m", "--consumer-opt=default_requeue_delay,90s",
                "--consumer-opt=heartbeat_interval,10s", "--consumer-opt=sample_rate,25").overrides();

        assertEquals("3", o.get("nsq.max-attempts"));
        assertEquals("2m", o.get("nsq.msg-timeout"));
        assertEquals("true", o.get("camel.component.nsq.tls"));
        assertEquals("snappy", o.get("camel.component.nsq.compression"));
        assertEquals("s3cret", o.get("camel.component.nsq.auth-secret"));
        assertEquals("30m", o.get("push.max-requeue-delay"));
        assertEquals("90s", o.get("push.requeue-delay"));
        assertEquals("10s", o.get("camel.component.nsq.heartbeat-interval"));
        assertEquals("0.25", o.get("push.sample"));
    }

    @Test
    void everySettingIsAFlagAndFormatToo() {
        Map<String, String> o = CommandLine.parse("--format=simplified", "--push.redeliveries=0",
                "--camel.management.port=0").overrides();
        assertEquals(Map.of("push.format", "simplified", "push.redeliveries", "0", "camel.management.port", "0"), o);
        assertEquals(Map.of(), CommandLine.parse("--format=JSON").defaults(), "no nsq_to_http flag: our defaults");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--sample=2                          | --sample '2' is out of range: allowed a number from 0.0 to 1.0",
        "--no-such-flag=1                    | --no-such-flag is not a flag of nsq-push",
        "--no-such-flag                      | --no-such-flag is not a flag of nsq-push",
        "-bogus                              | --bogus is not a flag of nsq-push",
        "--topic                             | --topic needs a value, e.g. --topic=...",
        "--max-in-flight=lots                | --max-in-flight 'lots' is not a whole number: allowed 1..65535",
        "--http-client-request-timeout=20m   | --http-client-request-timeout '20m' is out of range: allowed 1ms..15m",
        "--http-client-request-timeout=2 sec | --http-client-request-timeout '2 sec' is not a duration",
        "--consumer-opt=read_timeout,5s      | --consumer-opt read_timeout has no equivalent in nsq-push: allowed max_attempts",
        "--consumer-opt=max_attempts,0       | --consumer-opt max_attempts '0' is out of range: allowed 1..65535",
        "--consumer-opt=heartbeat_interval,2h | --consumer-opt heartbeat_interval '2h' is out of range: allowed 1s..1m",
        "--mode=random                       | --mode 'random' is not one of them: allowed round-robin, hostpool, epsilon-greedy",
        "--get=http://a/no-placeholder       | --get 'http://a/no-placeholder' is not a GET address",
        "--post=ftp://a/b                    | --post 'ftp://a/b' is not a valid endpoint URL",
        "--header=NoColon                    | --header '(not shown: 7 characters)' is not a header",
        "--header=Bearer s3cret-token        | --header '(not shown: 19 characters)' is not a header",
        "--format=XML                        | --format 'XML' is not one of them: allowed JSON, SIMPLIFIED",
        "orders                              | unexpected argument 'orders'",
    })
    void aBadFlagIsNamed(String arg, String message) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> CommandLine.parse(arg));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void postAndGetTogetherAreRefusedAsNsqToHttpDoes() {
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> CommandLine.parse("--post=http://a/", "--get=http://b/%s"));
        assertEquals("use --get or --post, not both (as nsq_to_http)", e.getMessage());
    }

    @Test
    void anUnknownOrMalformedFlagExits2WithOneLineNamingIt() throws Exception {
        for (String arg : List.of("--bogus", "--sample=2")) {
            try (CapturedLogs logs = CapturedLogs.capture()) {
                assertEquals(NsqPushMain.EXIT_INVALID_SETTING, NsqPushMain.run(new String[] {arg}));
                List<CapturedLogs.Line> errors = logs.lines().stream()
                        .filter(l -> l.level().isMoreSpecificThan(Level.WARN)).toList();
                assertEquals(1, errors.size(), errors.toString());
                assertTrue(errors.get(0).message().startsWith("Invalid flag: " + arg.split("=")[0]),
                        errors.get(0).message());
            }
        }
    }

    @Test
    void helpListsEveryFlagAndSettingWithItsDefault() {
        assertEquals(CommandLine.Action.HELP, CommandLine.parse("--help").action());
        assertEquals(CommandLine.Action.VERSION, CommandLine.parse("-version").action());
        String help = CommandLine.help();
        for (String flag : List.of("--topic", "--channel", "--nsqd-tcp-address", "--lookupd-http-address", "--post",
                "--get", "--content-type", "--header", "--mode", "--n", "--max-in-flight", "--sample",
                "--status-every", "--http-client-connect-timeout", "--http-client-request-timeout", "--consumer-opt",
                "--version", "--format")) {
            assertTrue(help.contains("  " + flag + " ") || help.contains("  " + flag + "\n"), flag);
        }
        for (Setting setting : Settings.ALL) {
            String line = "  --" + setting.key() + (setting.defaultValue().isEmpty() || setting.secret() ? "\n"
                    : " (default " + setting.defaultValue() + ")\n");
            assertTrue(help.contains(line), line);
        }
        assertTrue(help.contains("\n        URL to POST every message to") && help.contains("\n        JSON or SIMPLIFIED"),
                "descriptions as written, capitals kept");
    }
}
