package io.nsqpush.app;

import io.nsqpush.push.Redaction;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

/**
 * The bridge's log output (java.util.logging, named in logging.properties): one line per event on standard output,
 * {@code 2026-11-25 17:24:20.254 WARN  [thread] Logger - message}, with slf4j's level names.
 */
public class LogLines extends ConsoleHandler {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    /** Where a YAML parser says the problem is: {@code in file:routes/a.yaml, line 5, column 11:}. */
    private static final Pattern LOCATION = Pattern.compile(
            ".*, line \\d+, column \\d+:");

    /**
     * Reads ./logging.properties when there is one, else the bridge's own (in the jar), unless the JVM was told which
     * file to read (-Djava.util.logging.config.file). Before anything logs.
     */
    static void configure() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        java.nio.file.Path local = java.nio.file.Path.of("logging.properties");
        try (java.io.InputStream in = java.nio.file.Files.isReadable(local) ? java.nio.file.Files.newInputStream(local)
                : LogLines.class.getResourceAsStream("/io/nsqpush/logging.properties")) {
            if (in != null) {
                java.util.logging.LogManager.getLogManager().readConfiguration(in);
            }
        } catch (java.io.IOException e) {
            System.err.println("nsq-push: cannot read logging.properties: " + e.getMessage());
        }
    }

    public LogLines() {
        setOutputStream(System.out);
        setLevel(Level.ALL);
        setFormatter(new Line());
    }

    /** Formats on the thread that logs (the handler is synchronous), so the thread's name is the one that logged. */
    static final class Line extends Formatter {
        @Override
        public String format(LogRecord record) {
            StringBuilder line = new StringBuilder(160);
            line.append(TIME.format(LocalDateTime.ofInstant(record.getInstant(), ZoneId.systemDefault()))).append(' ');
            String level = level(record.getLevel());
            line.append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
            line.append('[').append(Thread.currentThread().getName()).append("] ");
            String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
            line.append(logger.substring(logger.lastIndexOf('.') + 1)).append(" - ").append(formatMessage(record));
            line.append(System.lineSeparator());
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            return line.toString();
        }
    }

    /**
     * @return a failure as one log line: its message, with its root cause's when that is another, on one line (YAML
     *         errors come on several: the problem, where, the offending line and a caret), secrets in URIs masked
     */
    static String oneLine(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root == failure || root.getMessage() == null ? String.valueOf(failure.getMessage())
                : failure.getMessage() + " (" + root.getMessage() + ")";
        StringBuilder line = new StringBuilder(text.length());
        String[] parts = text.split("\\R");
        for (int i = 0; i < parts.length; i++) {
            String trimmed = parts[i].strip();
            boolean location = LOCATION.matcher(trimmed).matches();
            if (location) {
                // a YAML error quotes the offending line under its location, then a caret: the location says where,
                // and the quote (cut short by the parser) could show part of a secret
                trimmed = trimmed.substring(0, trimmed.length() - 1);
                for (int k = i + 1; k < parts.length && k <= i + 3; k++) {
                    if (parts[k].strip().matches("\\^+")) {
                        i = k;
                        break;
                    }
                }
            }
            if (!trimmed.isEmpty() && !trimmed.matches("\\^+")) {
                line.append(line.length() == 0 ? "" : " ").append(trimmed);
            }
        }
        return Redaction.uri(line.toString());
    }

    /** @return slf4j's name for a java.util.logging level */
    static String level(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        } else if (value >= Level.WARNING.intValue()) {
            return "WARN";
        } else if (value >= Level.INFO.intValue()) {
            return "INFO";
        } else if (value >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }
}
