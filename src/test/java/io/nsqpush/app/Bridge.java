package io.nsqpush.app;

import io.nsqpush.testsupport.Ports;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real bridge in this JVM: NsqPushMain with ./application.properties and a copy of ./routes (so a test may edit
 * route files), plus the test's overrides as -D would give them.
 */
final class Bridge implements AutoCloseable {

    private final Main main;
    private final Path routes;

    private Bridge(Main main, Path routes) {
        this.main = main;
        this.routes = routes;
    }

    /** The bridge consuming from the test nsqd and pushing to the url; later setting maps win over earlier ones. */
    @SafeVarargs
    static Bridge on(io.nsqpush.testnsqd.TestNsqd nsqd, String url, Map<String, String>... settings) throws Exception {
        Map<String, String> all = new HashMap<>();
        all.put("nsq.nsqd-tcp-addresses", nsqd.address());
        all.put("push.url", url);
        for (Map<String, String> layer : settings) {
            all.putAll(layer);
        }
        return start(all);
    }

    static Bridge start(Map<String, String> overrides) throws Exception {
        return start(overrides, Map.of());
    }

    /** The bridge as the command line starts it: the flags, with the test's own place for routes and /observe. */
    static Bridge withFlags(String... args) throws Exception {
        CommandLine.Parsed line = CommandLine.parse(args);
        return start(line.defaults(), line.overrides(), Map.of());
    }

    /**
     * @param moreRoutes route files (name → YAML) placed next to the project's own before the bridge starts; a name
     *                   mapped to null removes the project's file of that name
     */
    static Bridge start(Map<String, String> overrides, Map<String, String> moreRoutes) throws Exception {
        return start(Map.of(), overrides, moreRoutes);
    }

    private static Bridge start(Map<String, String> defaults, Map<String, String> overrides,
                                Map<String, String> moreRoutes) throws Exception {
        return start(defaults, overrides, moreRoutes, Map.of());
    }

    /** @param beans bound in the registry before the bridge starts (e.g. a test's OpenTelemetry) */
    static Bridge withBeans(Map<String, Object> beans, Map<String, String> overrides) throws Exception {
        return start(Map.of(), overrides, Map.of(), beans);
    }

    private static Bridge start(Map<String, String> defaults, Map<String, String> overrides,
                                Map<String, String> moreRoutes, Map<String, Object> beans) throws Exception {
        Path routes = Files.createTempDirectory("nsq-push-routes");
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, routes.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (Map.Entry<String, String> file : moreRoutes.entrySet()) {
            if (file.getValue() == null) {
                Files.delete(routes.resolve(file.getKey())); // the test runs without that file of the project's
            } else {
                Files.writeString(routes.resolve(file.getKey()), file.getValue());
            }
        }
        Map<String, String> all = new HashMap<>();
        all.put("routes.directory", routes.toString());
        all.put("camel.management.host", "127.0.0.1");
        all.put("camel.management.port", String.valueOf(Ports.free()));
        all.putAll(overrides);
        Main main = NsqPushMain.create(defaults, all);
        beans.forEach(main::bind);
        main.start();
        return new Bridge(main, routes);
    }

    /** @return http://127.0.0.1:port of the management server (health, metrics) */
    String managementUrl() {
        return "http://127.0.0.1:" + main.getCamelContext().getPropertiesComponent()
                .resolveProperty("camel.management.port").orElseThrow();
    }


    CamelContext context() {
        return main.getCamelContext();
    }

    Path routes() {
        return routes;
    }

    @Override
    public void close() throws Exception {
        main.stop();
        try (Stream<Path> files = Files.list(routes)) {
            files.forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        Files.delete(routes);
    }
}
