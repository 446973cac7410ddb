package io.nsqpush.app;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Ports;
import io.nsqpush.testsupport.TestCertificates;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged jar, run as the README says: java -jar target/nsq-push.jar from the project root. */
class NsqPushJarIT {

    private static Process launch(Path log, String... properties) throws Exception {
        return launchIn(new File("."), log, properties);
    }

    private static Process launchIn(File directory, Path log, String... properties) throws Exception {
        return launchIn(directory, log, List.of(properties), List.of());
    }

    private static Process launchIn(File directory, Path log, List<String> properties, List<String> flags)
            throws Exception {
        return launchIn(directory, log, properties, flags, Map.of());
    }

    static Process launchIn(File directory, Path log, List<String> properties, List<String> flags,
                                    Map<String, String> environment) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (properties.stream().noneMatch(p -> p.startsWith("-Dcamel.management."))) {
            // the management server as configured, on a port of its own: 9876 may be taken on this machine
            command.add("-Dcamel.management.port=" + Ports.free());
        }
        command.addAll(properties);
        command.add("-jar");
        command.add(new File("target/nsq-push.jar").getAbsolutePath());
        command.addAll(flags);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(directory);
        builder.environment().putAll(environment);
        return builder.start();
    }


    @Test
    void aBadSettingEndsTheJarWithExitCode2AndOneLine() throws Exception {
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        Process jar = launch(log, "-Dpush.format=XML");
        assertTrue(jar.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, jar.exitValue());
        List<String> errors = Files.readAllLines(log).stream().filter(l -> l.contains(" ERROR ")).toList();
        assertEquals(1, errors.size(), String.join("\n", Files.readAllLines(log)));
        assertTrue(errors.get(0).endsWith("Invalid setting: push.format 'XML' is not one of them: allowed JSON, SIMPLIFIED"),
                errors.get(0));
    }

    @Test
    void theJarDeliversAMessageAndStopsCleanlyOnSigterm() throws Exception {
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start()) {
            Process jar = launch(log, "-Dnsq.nsqd-tcp-addresses=" + nsqd.address(), "-Dpush.url=" + endpoint.url("/in"),
                    "-Dpush.format=SIMPLIFIED", "-Droutes.reload-enabled=false");
            try {
                String id = nsqd.publish("orders", "from the jar");
                await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.requestsFor(id).size() == 1);
                assertEquals("from the jar", endpoint.requestsFor(id).get(0).bodyUtf8());
                await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 1);
            } finally {
                jar.destroy(); // SIGTERM
                assertTrue(jar.waitFor(60, TimeUnit.SECONDS));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(0, jar.exitValue(), output);
            assertTrue(output.contains("SIGTERM received: stopping") && output.contains("Apache Camel (Main) 4.18.0 shutdown"), output);
        }
    }

    @Test
    void aFlagWinsOverASystemPropertyWhichWinsOverTheEnvironmentWhichWinsOverApplicationProperties()
            throws Exception {
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start()) {
            // application.properties (the project root's) says nsq.topic=orders and push.url=...:8080/push
            Map<String, String> environment = Map.of("NSQ_TOPIC", "from-env", "NSQ_NSQD_TCP_ADDRESSES", nsqd.address(),
                    "PUSH_URL", endpoint.url("/env"), "PUSH_FORMAT", "JSON", "ROUTES_RELOAD_ENABLED", "false");
            Process jar = launchIn(new File("."), log, List.of("-Dpush.format=SIMPLIFIED", "-Dpush.url="
                    + endpoint.url("/system-property")), List.of("--push.url=" + endpoint.url("/flag")), environment);
            try {
                // NSQ_TOPIC wins over application.properties: the bridge consumes from-env, not orders
                String id = nsqd.publish("from-env", "which wins");
                await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.requestsFor(id).size() == 1);
                TestEndpoint.Request request = endpoint.requestsFor(id).get(0);
                assertEquals("/flag", request.path(), "the flag wins over -D and the environment");
                assertEquals("which wins", request.bodyUtf8(), "-D push.format=SIMPLIFIED wins over PUSH_FORMAT=JSON");
            } finally {
                jar.destroy();
                assertTrue(jar.waitFor(60, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void sigtermMidStreamDeliversEveryMessageExactlyOnceAndExitsZero() throws Exception {
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start().delay(100)) {
            String[] settings = {"-Dnsq.nsqd-tcp-addresses=" + nsqd.address(), "-Dpush.url=" + endpoint.url("/in"),
                "-Dnsq.max-in-flight=20", "-Droutes.reload-enabled=false"};
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                ids.add(nsqd.publish("orders", "message " + i));
            }
            Process first = launch(log, settings);
            await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.requests().size() >= 60);
            first.destroy(); // SIGTERM while 20 deliveries are in flight
            assertTrue(first.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, first.exitValue(), Files.readString(log));
            int deliveredBeforeStop = endpoint.requests().size();
            assertTrue(deliveredBeforeStop < 400, "stopped mid-stream");

            Process second = launch(log, settings);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> endpoint.requests().size() >= 400);
                await().atMost(Duration.ofSeconds(10)).until(() -> nsqd.finCount("orders", "nsq-push") == 400);
            } finally {
                second.destroy();
                assertTrue(second.waitFor(60, TimeUnit.SECONDS));
            }
            assertEquals(0, second.exitValue());
            List<String> received = endpoint.headerValues("x-cmq-message-id");
            assertEquals(400, received.size(), "no duplicates with a healthy endpoint");
            assertEquals(new java.util.HashSet<>(ids), new java.util.HashSet<>(received));
        }
    }

    @Test
    void aComponentJarDroppedIntoLibIsUsedByAYamlRoute() throws Exception {
        // a working directory like the project's, with camel-stream (not in the runnable jar) in lib/
        Path home = Files.createTempDirectory("nsq-push-home");
        Files.copy(Path.of("application.properties"), home.resolve("application.properties"));
        Files.createDirectories(home.resolve("routes"));
        try (var routes = Files.list(Path.of("routes"))) {
            for (Path route : (Iterable<Path>) routes::iterator) {
                Files.copy(route, home.resolve("routes").resolve(route.getFileName()));
            }
        }
        Files.writeString(home.resolve("routes").resolve("audit.yaml"), String.join("\n",
                "- route:",
                "    id: audit",
                "    from:",
                "      uri: nsq:orders",
                "      parameters:",
                "        channel: audit",
                "        servers: \"{{nsq.nsqd-tcp-addresses}}\"",
                "      steps:",
                "        - setBody:",
                "            simple: \"AUDIT ${body}\"",
                "        - to: stream:out", ""));
        Path stream = Path.of(org.apache.camel.component.stream.StreamComponent.class.getProtectionDomain()
                .getCodeSource().getLocation().toURI());
        Files.createDirectories(home.resolve("lib"));
        Files.copy(stream, home.resolve("lib").resolve(stream.getFileName()));

        Path log = Files.createTempFile("nsq-push-jar", ".log");
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start()) {
            Process jar = launchIn(home.toFile(), log, "-Dnsq.nsqd-tcp-addresses=" + nsqd.address(),
                    "-Dpush.url=" + endpoint.url("/in"), "-Droutes.reload-enabled=false",
                    "-Dcamel.management.enabled=false");
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> nsqd.channels("orders").size() == 2
                        && nsqd.connectedClients().stream().filter(c -> c.rdy() > 0).count() == 2);
                nsqd.publish("orders", "hello extension");
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("AUDIT hello extension"));
                await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.requests().size() == 1);
            } finally {
                jar.destroy();
                assertTrue(jar.waitFor(60, TimeUnit.SECONDS));
            }
            assertTrue(Files.readString(log).contains("Extension jars from lib: [" + stream.getFileName() + "]"),
                    Files.readString(log));
        }
    }

    @Test
    void killMinus9MidStreamThenRestartDeliversEveryMessageWithFewDuplicates() throws Exception {
        Path log = Files.createTempFile("nsq-push-jar", ".log");
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start().delay(20)) {
            // a short msg timeout: what the killed bridge held comes back from nsqd within seconds
            String[] settings = {"-Dnsq.nsqd-tcp-addresses=" + nsqd.address(), "-Dpush.url=" + endpoint.url("/in"),
                "-Dnsq.max-in-flight=50", "-Dnsq.msg-timeout=2s", "-Droutes.reload-enabled=false",
                "-Dcamel.management.enabled=false"};
            java.util.Set<String> ids = new java.util.HashSet<>();
            for (int i = 0; i < 400; i++) {
                ids.add(nsqd.publish("orders", "message " + i));
            }
            Process first = launch(log, settings);
            await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.requests().size() >= 100);
            first.destroyForcibly(); // kill -9: no FIN, no REQ, no CLS
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, first.exitValue());

            Process second = launch(log, settings);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> new java.util.HashSet<>(
                        endpoint.headerValues("x-cmq-message-id")).containsAll(ids));
            } finally {
                second.destroy();
                assertTrue(second.waitFor(60, TimeUnit.SECONDS));
            }
            int duplicates = endpoint.requests().size() - ids.size();
            System.out.println("kill -9 then restart: " + ids.size() + " messages, " + duplicates + " duplicates");
            assertTrue(duplicates <= 50, duplicates + " duplicates, more than max-in-flight");
        }
    }

    @Test
    void secretsInEveryPlaceStayOutOfTheLogAndTheDeadLetterRecord() throws Exception {
        TestCertificates certs = TestCertificates.generate();
        String authSecret = "auth-s3cret-in-properties";
        String deadLetterSecret = "dead-letter-s3cret-in-uri";
        String urlPassword = "url-s3cret-password";
        String urlToken = "url-s3cret-token";
        String signingSecret = "whsec_" + java.util.Base64.getEncoder().encodeToString(
                "signing-s3cret-key-bytes".getBytes(StandardCharsets.UTF_8));
        // credential headers (push.headers): Authorization, Cookie and a name holding "key"
        String bearer = "hdr-s3cret-bearer";
        String cookie = "hdr-s3cret-cookie";
        String apiKey = "hdr-s3cret-api-key";
        List<String> secrets = List.of(authSecret, deadLetterSecret, urlPassword, urlToken, signingSecret,
                "signing-s3cret-key-bytes", certs.password(), bearer, cookie, apiKey);
        try (TestNsqd nsqd = TestNsqd.start(new TestNsqd.Options().tls(certs.serverContext()).tlsRequired(true)
                .authSecret(authSecret));
             TestNsqd deadLetters = TestNsqd.start(new TestNsqd.Options().authSecret(deadLetterSecret));
             TestEndpoint endpoint = TestEndpoint.start().answer(n -> n == 0 ? 200 : 400)) {
            Path home = Files.createTempDirectory("nsq-push-home");
            // secrets in application.properties: component options (AUTH, trust store password) and a Camel URI
            Files.writeString(home.resolve("application.properties"), String.join("\n",
                    "nsq.topic=orders", "nsq.nsqd-tcp-addresses=" + nsqd.address(),
                    "camel.component.nsq.tls=true",
                    "camel.component.nsq.tls-trust-store=" + certs.trustStore(),
                    "camel.component.nsq.tls-trust-store-password=" + certs.password(),
                    "camel.component.nsq.auth-secret=" + authSecret,
                    "dead-letter.uri=nsq:orders.dead-letter?servers=" + deadLetters.address() + "&tls=false&authSecret="
                            + deadLetterSecret,
                    "push.dead-letter-on=400",
                    // Camel's own summaries on: they must mask too
                    "camel.main.auto-configuration-log-summary=true", ""));
            String url = "http://alice:" + urlPassword + "@127.0.0.1:" + endpoint.port() + "/in?token=" + urlToken;
            Path log = Files.createTempFile("nsq-push-jar", ".log");
            // a secret in a system property (the URL's user-info and query) and one in a flag
            Process jar = launchIn(home.toFile(), log, List.of("-Dpush.url=" + url, "-Droutes.reload-enabled=false",
                    "-Dcamel.management.enabled=false"), List.of("--push.signing-secret=" + signingSecret,
                    "--push.headers=Authorization: Bearer " + bearer + "; Cookie: sid=" + cookie + "; X-Api-Key: " + apiKey
                            + "; X-Env: prod"));
            try {
                String delivered = nsqd.publish("orders", "delivered");
                await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.requestsFor(delivered).size() == 1);
                assertEquals(urlToken, endpoint.requests().get(0).path().replaceAll(".*token=", ""),
                        "the token still reaches the endpoint");
                nsqd.publish("orders", "dead");
                await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters.published("orders.dead-letter").size() == 1);
                await().atMost(Duration.ofSeconds(5)).until(() -> nsqd.finCount("orders", "nsq-push") == 2);
            } finally {
                jar.destroy();
                assertTrue(jar.waitFor(60, TimeUnit.SECONDS));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            String record = deadLetters.published("orders.dead-letter").get(0).bodyUtf8();
            // the paths that used to print them ran: Camel's summary of the component options, the dead-letter
            // line; the signing secret (a flag, set on the push: component) was in effect
            assertTrue(output.contains("camel.component.nsq.authSecret = xxxxxx") && output.contains("Dead letter:"),
                    output);
            assertTrue(endpoint.requests().get(0).header("webhook-signature").startsWith("v1,"),
                    "the flag's signing secret signed the request");
            assertEquals("Bearer " + bearer, endpoint.requests().get(0).header("Authorization"),
                    "the credential headers still reach the endpoint");
            assertEquals(apiKey, endpoint.requests().get(0).header("X-Api-Key"));
            assertTrue(record.contains("127.0.0.1:" + endpoint.port() + "/in"), record);
            for (String secret : secrets) {
                assertFalse(output.contains(secret), "'" + secret + "' in the log:\n" + output);
                assertFalse(record.contains(secret), "'" + secret + "' in the record: " + record);
            }
        }
    }
}
