package io.nsqpush.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * Every process the benchmark starts, so that none outlives it: {@link #stopAll()} runs in a finally block and in a
 * shutdown hook (Ctrl-C on the driver). Output goes to a log file per process under target/bench/.
 */
final class Processes {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final Path LOGS = Path.of("target", "bench");

    private final ConcurrentLinkedDeque<Process> running = new ConcurrentLinkedDeque<>();

    Processes() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "bench-cleanup"));
    }

    /** A main class of this (test) classpath in a JVM of its own. */
    Process startClass(String name, List<String> jvmArgs, Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return start(name, command);
    }

    /** The runnable jar, as the README runs it: from the project root, settings as -D overrides. */
    Process startJar(String name, String jar, List<String> jvmArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(jvmArgs);
        command.addAll(List.of("-jar", jar));
        return start(name, command);
    }

    private Process start(String name, List<String> command) throws IOException {
        Files.createDirectories(LOGS);
        File log = LOGS.resolve(name + ".log").toFile();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log)).start();
        running.add(process);
        return process;
    }

    /**
     * Waits up to {@code seconds} for the process's log to show a line starting with {@code prefix} and returns the
     * rest of it. The children print "ready …" once they listen.
     */
    static String awaitLine(String name, Process process, String prefix, int seconds) throws Exception {
        Path log = LOGS.resolve(name + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length()).trim();
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(name + " not ready within " + seconds + " s; see " + log);
    }

    /** SIGTERM (the bridge's clean shutdown), then SIGKILL if it has not exited within the grace period. */
    void stop(Process process, int graceSeconds) {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        running.remove(process);
    }

    void stopAll() {
        Process process;
        while ((process = running.pollLast()) != null) {
            stop(process, 10);
        }
    }
}
