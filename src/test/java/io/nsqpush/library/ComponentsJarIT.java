package io.nsqpush.library;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library jar ({@code target/nsq-push-components.jar}, classifier {@code components}) is usable on its own: it
 * holds the components and their Camel metadata and none of the application, and a route on a bare CamelContext runs
 * with it on a class path that has neither the application's classes nor camel-main, YAML or the management server.
 */
class ComponentsJarIT {

    private static final Path JAR = Path.of("target", "nsq-push-components.jar");

    /** The application's dependencies (optional in the pom, so never passed on to a user of the library). */
    private static final List<String> APPLICATION_ONLY = List.of("camel-main-", "camel-yaml-dsl", "camel-platform-http",
            "camel-micrometer", "camel-bean-", "camel-direct-", "camel-file-", "slf4j-jdk14-", "vertx-", "camel-vertx",
            "micrometer-");

    @Test
    void holdsTheComponentsAndNothingOfTheApplication() throws IOException {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (String entry : List.of("io/nsqpush/component/NsqComponent.class", "io/nsqpush/push/PushComponent.class",
                    "io/nsqpush/push/CmqFormat.class", "io/nsqpush/nsq/NsqConnection.class",
                    "META-INF/services/org/apache/camel/component/nsq",
                    "META-INF/services/org/apache/camel/component/push",
                    "META-INF/services/org/apache/camel/configurer/push-endpoint",
                    "META-INF/io/nsqpush/push/push.json")) {
                assertNotNull(jar.getEntry(entry), entry + " is missing from " + JAR);
            }
            List<String> application = jar.stream().map(ZipEntry::getName)
                    .filter(name -> name.startsWith("io/nsqpush/app/") || name.startsWith("io/nsqpush/routes/")
                            || name.endsWith(".yaml"))
                    .toList();
            assertEquals(List.of(), application, "the library jar holds the application's files");
        }
    }

    @Test
    void aPlainCamelContextDeliversWithIt() throws Exception {
        List<URL> classPath = new ArrayList<>();
        classPath.add(JAR.toUri().toURL());
        classPath.add(Path.of("target", "test-classes").toUri().toURL()); // the test nsqd and LibraryRoute
        for (String entry : Files.readString(Path.of("target", "test-classpath.txt")).strip().split(":")) {
            String name = Path.of(entry).getFileName().toString();
            if (entry.endsWith(".jar") && APPLICATION_ONLY.stream().noneMatch(name::startsWith)) {
                classPath.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(classPath.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThrowsNotFound(loader, "io.nsqpush.app.NsqPushMain");
            assertThrowsNotFound(loader, "org.apache.camel.main.Main");
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                Method run = loader.loadClass(LibraryRoute.class.getName()).getMethod("run");
                String result = (String) run.invoke(null);
                String[] lines = result.split("\n");
                String id = lines[lines.length - 2].substring("expected id=".length());
                assertEquals("hello from a plain CamelContext id=" + id, lines[0], result);
                assertEquals(3, lines.length, "one request: " + result);
                assertTrue(lines[2].endsWith("nsq-push-components.jar"), result);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
    }

    private static void assertThrowsNotFound(ClassLoader loader, String name) {
        boolean found;
        try {
            loader.loadClass(name);
            found = true;
        } catch (ClassNotFoundException expected) {
            found = false;
        }
        assertFalse(found, name + " is on the library's class path");
    }
}
