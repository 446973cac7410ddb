package io.nsqpush.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Every process and temporary directory the benchmark creates, so that none outlives it: {@link #stopAll()} runs in a
 * finally block and in a shutdown hook (Ctrl-C on the driver). Output goes to a log file per process under
 * target/bench/, after a first line with the command. Also reads a child's CPU time and peak RSS from /proc.
 */
final class Processes {

    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static final Path LOGS = Path.of("target", "bench");
    /** Clock ticks per second, the unit of /proc/&lt;pid&gt;/stat's CPU times. */
    private static final long CLK_TCK = Long.parseLong(output("getconf", "CLK_TCK").orElse("100"));

    private final ConcurrentLinkedDeque<Process> running = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<Path> directories = new ConcurrentLinkedDeque<>();
    private boolean stopped;

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

    /** Any command, from the project root (where the bridge jar reads application.properties). */
    synchronized Process start(String name, List<String> command) throws IOException {
        return start(name, command, Map.of());
    }

    /** As {@link #start(String, List)}, with environment variables added. */
    synchronized Process start(String name, List<String> command, Map<String, String> environment)
            throws IOException {
        if (stopped) {
            throw new IllegalStateException("stopping: " + name + " not started"); // Ctrl-C while a case runs
        }
        Files.createDirectories(LOGS);
        Path log = LOGS.resolve(name + ".log");
        Files.writeString(log, java.time.LocalTime.now() + " launched: " + String.join(" ", command)
                + System.lineSeparator());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        Process process = builder.start();
        running.add(process);
        return process;
    }

    /** A new empty directory, deleted with everything in it once every process has been stopped. */
    Path tempDirectory(String prefix) throws IOException {
        Path directory = Files.createTempDirectory(prefix);
        directories.add(directory);
        return directory;
    }

    /**
     * Waits up to {@code seconds} for the process's log to show a line starting with {@code prefix} and returns the
     * rest of it. The Java children print "ready …" once they listen.
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
            checkAlive(name, process);
            Thread.sleep(50);
        }
        throw new IllegalStateException(name + " not ready within " + seconds + " s; see " + log);
    }

    static void checkAlive(String name, Process process) {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see "
                    + LOGS.resolve(name + ".log"));
        }
    }

    /** User + system CPU time of the process, all its threads, in µs (/proc/&lt;pid&gt;/stat, fields 14 and 15). */
    static long cpuMicros(Process process) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
        // the fields after "(comm) ", which may itself hold spaces: state is [0], utime [11], stime [12]
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 1_000_000 / CLK_TCK;
    }

    /** The kernel's high-water mark of the process's resident memory (VmHWM), in KiB. */
    static long peakRssKiB(Process process) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmHWM for process " + process.pid());
    }

    /** The trimmed standard output of a short command, or empty if it is missing or fails. */
    static Optional<String> output(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return process.exitValue() == 0 ? Optional.of(text) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** SIGTERM (a clean shutdown for the bridges and nsqd), then SIGKILL if not exited within the grace period. */
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

    synchronized void stopAll() {
        stopped = true;
        Process process;
        while ((process = running.pollLast()) != null) {
            stop(process, 10);
        }
        Path directory;
        while ((directory = directories.poll()) != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            } catch (IOException e) {
                System.err.println("could not delete " + directory + ": " + e);
            }
        }
    }
}
