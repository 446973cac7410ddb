package io.nsqpush.build;

import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.Ports;
import io.nsqpush.testsupport.TestEndpoint;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the class-data archive that {@code ./nsq-push} starts the jar with (run by {@code mvn package}, see pom.xml):
 * the packaged jar runs once as a user would run it, against the test nsqd and an endpoint in this JVM, and delivers
 * messages through the whole path (JSON, a failed request and its redelivery, a requeue, a dead letter, a scrape of
 * /observe), so that the classes of the first message are archived with those of start-up. It then stops on SIGTERM
 * and the JVM writes the archive as it exits.
 * <p>
 * Usage: {@code CdsTraining <jar> <archive>}.
 */
public final class CdsTraining {

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]).toAbsolutePath();
        Path archive = Path.of(args[1]).toAbsolutePath();
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start()) {
            // the 3rd request fails once (redelivery); "dead" always fails (requeue, then a dead letter)
            endpoint.answer(n -> n == 2 || endpoint.requests().get(n).bodyUtf8().contains("dead") ? 500 : 200);
            int port = Ports.free();
            Process bridge = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString(), "-XX:ArchiveClassesAtExit=" + archive, "-XX:+UseSerialGC", "-jar",
                    jar.toString(), "--nsq.topic=cds", "--nsq.nsqd-tcp-addresses=" + nsqd.address(),
                    "--push.url=" + endpoint.url("/push"), "--nsq.max-attempts=2", "--push.redelivery-delay=10ms",
                    "--push.requeue-delay=10ms", "--routes.reload-enabled=false", "--status.interval=0",
                    "--camel.management.host=127.0.0.1", "--camel.management.port=" + port))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                            archive.resolveSibling("cds-training.log").toFile())).start();
            try {
                await(() -> !nsqd.connectedClients().isEmpty(), bridge);
                for (int i = 0; i < 20; i++) {
                    nsqd.publish("cds", "message " + i);
                }
                nsqd.publish("cds", "dead");
                await(() -> nsqd.published("cds.dead-letter").size() == 1 && nsqd.finCount("cds", "nsq-push") == 21,
                        bridge);
                HttpClient http = HttpClient.newHttpClient();
                for (String path : List.of("/observe/health", "/observe/metrics")) {
                    http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                            HttpResponse.BodyHandlers.discarding());
                }
            } finally {
                bridge.destroy(); // SIGTERM: the bridge stops cleanly, and the JVM writes the archive on exit
                if (!bridge.waitFor(60, TimeUnit.SECONDS)) {
                    bridge.destroyForcibly();
                    throw new IllegalStateException("the training run did not stop");
                }
            }
            if (!new File(archive.toString()).isFile()) {
                throw new IllegalStateException("no archive written: see cds-training.log");
            }
        }
        System.exit(0); // the test nsqd's and endpoint's threads must not keep the build waiting
    }

    private static void await(java.util.function.BooleanSupplier condition, Process bridge) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (!bridge.isAlive()) {
                        throw new IllegalStateException("the training run exited: see cds-training.log");
                    }
                    return condition.getAsBoolean();
                });
    }

}
