package io.nsqpush.app;

import io.nsqpush.docs.DeclaredKeys;
import io.nsqpush.testnsqd.TestNsqd;
import io.nsqpush.testsupport.TestEndpoint;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/nsq-push.yaml agrees with the project, so that neither can change without the other: its port and probes with
 * the management server as the bridge runs it (asked on a real bridge, with nsqd up and away), its grace period with
 * the shutdown timeout, its settings with the declared keys, its route files with routes/ byte for byte.
 */
class DeployManifestTest {

    private final Map<String, Map<String, Object>> documents = documentsByKind();
    private final Map<String, Object> configMap = at(documents, "ConfigMap");
    private final Map<String, Object> pod = at(documents, "Deployment", "spec", "template", "spec");
    private final Map<String, Object> container = at(pod, "containers", 0);
    private final Properties settings = properties(at(configMap, "data", "application.properties"));

    @Test
    void routeFilesAreTheRepositorysVerbatim() throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
        for (String name : names) {
            assertEquals(Files.readString(Path.of("routes", name)), at(configMap, "data", name),
                    "the ConfigMap's " + name + " differs from routes/" + name + ": copy it in, indented by 4 spaces");
        }
        List<Map<String, Object>> volumes = at(pod, "volumes");
        Map<String, Object> routes = volumes.stream().filter(v -> "routes".equals(v.get("name"))).findFirst()
                .orElseThrow();
        List<Map<String, Object>> items = at(routes, "configMap", "items");
        assertEquals(names, items.stream().map(i -> (String) i.get("path")).sorted().toList());
    }

    @Test
    void theBridgeFindsItsFilesInItsWorkingDirectory() {
        String dir = at(container, "workingDir");
        List<Map<String, Object>> mounts = at(container, "volumeMounts");
        List<String> paths = mounts.stream().map(m -> (String) m.get("mountPath")).toList();
        assertTrue(paths.containsAll(List.of(dir + "/application.properties", dir + "/routes")), paths.toString());
        assertEquals(List.of("./nsq-push"), at(container, "command"));
    }

    @Test
    void settingsAreDeclaredKeys() {
        assertEquals(List.of(), DeclaredKeys.problems(at(configMap, "data", "application.properties")));
    }

    @Test
    void gracePeriodOutlastsTheShutdownTimeout() {
        int grace = at(pod, "terminationGracePeriodSeconds");
        assertTrue(grace > Integer.parseInt(effective("camel.main.shutdown-timeout")), "terminationGracePeriodSeconds "
                + grace + " must leave camel.main.shutdown-timeout for the in-flight deliveries");
    }

    @Test
    void probesAreTheManagementServersHealthPaths() throws Exception {
        Map<String, Object> liveness = at(container, "livenessProbe", "httpGet");
        Map<String, Object> readiness = at(container, "readinessProbe", "httpGet");
        List<Map<String, Object>> ports = at(container, "ports");
        for (Map<String, Object> probe : List.of(liveness, readiness)) {
            Map<String, Object> port = ports.stream().filter(p -> probe.get("port").equals(p.get("name"))
                    || probe.get("port").equals(p.get("containerPort"))).findFirst().orElseThrow();
            assertEquals(Integer.parseInt(effective("camel.management.port")), port.get("containerPort"));
        }

        HttpClient http = HttpClient.newHttpClient();
        try (TestNsqd nsqd = TestNsqd.start(); TestEndpoint endpoint = TestEndpoint.start();
             Bridge bridge = Bridge.on(nsqd, endpoint.url("/push"), Map.of("routes.reload-enabled", "false"))) {
            String live = bridge.managementUrl() + liveness.get("path");
            String ready = bridge.managementUrl() + readiness.get("path");
            await().atMost(Duration.ofSeconds(10)).until(() -> status(http, ready) == 200);
            assertEquals(200, status(http, live));
            // an nsqd outage takes the pod out of rollouts but must not restart it
            nsqd.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> status(http, ready) == 503);
            assertEquals(200, status(http, live));
        }
    }

    @Test
    void theKedaScaledObjectScalesThisDeploymentOnItsChannel() throws IOException {
        Map<String, Object> scaled = at(new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(Path.of("deploy/nsq-push-keda.yaml"))));
        assertEquals("keda.sh/v1alpha1", (String) at(scaled, "apiVersion"));
        assertEquals("ScaledObject", (String) at(scaled, "kind"));
        Map<String, Object> deployment = at(documents, "Deployment");
        assertEquals((String) at(deployment, "metadata", "name"), at(scaled, "spec", "scaleTargetRef", "name"));
        assertEquals(null, ((Map<?, ?>) at(scaled, "spec", "scaleTargetRef")).get("kind"), "a Deployment, the default");

        List<Map<String, Object>> triggers = at(scaled, "spec", "triggers");
        assertEquals(1, triggers.size());
        assertEquals("nsq", (String) at(triggers.get(0), "type"));
        Map<String, Object> nsq = at(triggers.get(0), "metadata");
        // the scaler reads the channel the bridge consumes, through the nsqlookupd it discovers nsqd with
        assertEquals(settings.getProperty("nsq.topic"), (String) at(nsq, "topic"));
        assertEquals(settings.getProperty("nsq.channel"), (String) at(nsq, "channel"));
        assertEquals(settings.getProperty("nsq.lookupd-http-addresses"), (String) at(nsq, "nsqLookupdHTTPAddresses"));
        assertEquals("false", (String) at(nsq, "useHttps"));
        // KEDA's metadata values are strings; the threshold is the one the README derives from the benchmark
        String threshold = at(nsq, "depthThreshold");
        assertTrue(Integer.parseInt(threshold) > Integer.parseInt(settings.getProperty("nsq.max-in-flight")),
                "a threshold at or below max-in-flight would scale on messages merely waiting for RDY");
        assertTrue(Files.readString(Path.of("README.md")).contains("depthThreshold: \"" + threshold + "\""),
                "README, Scaling out, explains depthThreshold " + threshold);

        int min = at(scaled, "spec", "minReplicaCount");
        int max = at(scaled, "spec", "maxReplicaCount");
        assertTrue(min >= 1 && min <= max, min + ".." + max);
        List<Map<String, Object>> scaleDown = at(scaled, "spec", "advanced", "horizontalPodAutoscalerConfig",
                "behavior", "scaleDown", "policies");
        int period = at(scaleDown.get(0), "periodSeconds");
        assertTrue(period >= (int) at(pod, "terminationGracePeriodSeconds"),
                "one pod drains (SIGTERM, grace period) before the next is taken away");
    }

    private String effective(String camelKey) {
        return settings.getProperty(camelKey, NsqPushMain.camelDefault(camelKey));
    }

    private static int status(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static Map<String, Map<String, Object>> documentsByKind() {
        try {
            Map<String, Map<String, Object>> byKind = new HashMap<>();
            for (Object document : new Load(LoadSettings.builder().build())
                    .loadAllFromString(Files.readString(Path.of("deploy/nsq-push.yaml")))) {
                Map<String, Object> map = at(document);
                byKind.put(at(map, "kind"), map);
            }
            return byKind;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Properties properties(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return properties;
    }

    /** @return the node under the path of map keys and list indexes, as the caller's type; fails when absent */
    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            current = step instanceof Integer index ? ((List<Object>) current).get(index)
                    : ((Map<String, Object>) current).get(step);
            if (current == null) {
                throw new AssertionError("deploy/nsq-push.yaml has no " + Stream.of(path).map(String::valueOf)
                        .collect(Collectors.joining(".")));
            }
        }
        return (T) current;
    }
}
