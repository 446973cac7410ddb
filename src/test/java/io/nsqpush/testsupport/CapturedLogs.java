package io.nsqpush.testsupport;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** Captures what the bridge logs (java.util.logging, through slf4j), so that tests can assert what an operator reads. */
public final class CapturedLogs extends Handler implements AutoCloseable {

    /** slf4j's levels, as the log lines show them. */
    public enum Level {
        TRACE, DEBUG, INFO, WARN, ERROR;

        /** @return true when this level is this severe or more, as log4j's isMoreSpecificThan */
        public boolean isMoreSpecificThan(Level other) {
            return compareTo(other) >= 0;
        }

        static Level of(java.util.logging.Level level) {
            int value = level.intValue();
            return value >= java.util.logging.Level.SEVERE.intValue() ? ERROR
                    : value >= java.util.logging.Level.WARNING.intValue() ? WARN
                    : value >= java.util.logging.Level.INFO.intValue() ? INFO
                    : value >= java.util.logging.Level.FINE.intValue() ? DEBUG : TRACE;
        }
    }

    /** One captured line. */
    public record Line(Level level, String logger, String message) {
        @Override
        public String toString() {
            return level + " " + logger + " - " + message;
        }
    }

    private static final java.util.logging.Formatter MESSAGES = new java.util.logging.SimpleFormatter();
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private CapturedLogs() {
    }

    /** Starts capturing; close to stop. */
    public static CapturedLogs capture() {
        CapturedLogs handler = new CapturedLogs();
        handler.setLevel(java.util.logging.Level.ALL);
        Logger.getLogger("").addHandler(handler);
        return handler;
    }

    @Override
    public void publish(LogRecord record) {
        if (isLoggable(record)) {
            lines.add(new Line(Level.of(record.getLevel()), record.getLoggerName(), MESSAGES.formatMessage(record)));
        }
    }

    /** @return the lines at exactly this level whose message contains the text */
    public List<Line> find(Level level, String text) {
        return lines.stream().filter(l -> l.level() == level && l.message().contains(text)).collect(Collectors.toList());
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
