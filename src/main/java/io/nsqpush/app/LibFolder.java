package io.nsqpush.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Extra jars without a rebuild: every jar in ./lib is on the class path of the routes (java -jar ignores -cp, so the
 * bridge adds them itself). Drop a Camel component jar there and a YAML route can use its scheme.
 */
final class LibFolder {

    private static final Logger LOG = LoggerFactory.getLogger(LibFolder.class);

    private LibFolder() {
    }

    /** @return a class loader over the jars in the folder, or the parent itself when there are none */
    static ClassLoader classLoader(Path folder, ClassLoader parent) {
        if (!Files.isDirectory(folder)) {
            return parent;
        }
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                jars.add(jar.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        if (jars.isEmpty()) {
            return parent;
        }
        LOG.info("Extension jars from {}: {}", folder, jars.stream().map(u -> Path.of(u.getPath()).getFileName()).toList());
        return new URLClassLoader("nsq-push-lib", jars.toArray(URL[]::new), parent);
    }
}
