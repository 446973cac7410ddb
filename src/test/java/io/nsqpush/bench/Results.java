package io.nsqpush.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * The benchmark's table: one row per metric, one column per bridge with the median over the rounds, their ratio, and
 * the target for nsq-push where there is one.
 */
final class Results {

    static final String NSQ_PUSH = "nsq-push";
    static final String NSQ_TO_HTTP = "nsq_to_http";

    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final Map<String, String> notRun = new LinkedHashMap<>();

    /** A value of a metric in one round; NaN (nothing measured) is left out. */
    void add(String metric, String bridge, double value, DoubleFunction<String> format, Target target) {
        if (!Double.isNaN(value) && !Double.isInfinite(value)) {
            rows.computeIfAbsent(metric, m -> new Row(format, target, new LinkedHashMap<>()))
                    .values.computeIfAbsent(bridge, b -> new ArrayList<>()).add(value);
        }
    }

    /** The column of a bridge that did not run says so; the reason goes below the table. */
    void notRun(String bridge, String why) {
        notRun.put(bridge, why);
    }

    Map<String, String> notRunReasons() {
        return notRun;
    }

    String markdown() {
        StringBuilder table = new StringBuilder("| metric | " + NSQ_PUSH + " | " + NSQ_TO_HTTP + " | ratio ("
                + NSQ_PUSH + " / " + NSQ_TO_HTTP + ") | target |\n|---|---:|---:|---:|---|\n");
        rows.forEach((metric, row) -> {
            double push = row.median(NSQ_PUSH);
            double other = row.median(NSQ_TO_HTTP);
            double ratio = push / other;
            table.append("| ").append(metric)
                    .append(" | ").append(cell(row, NSQ_PUSH, push))
                    .append(" | ").append(cell(row, NSQ_TO_HTTP, other))
                    .append(" | ").append(Double.isFinite(ratio) ? format("%.2f", ratio) : "—")
                    .append(" | ").append(row.target == null ? "" : row.target.verdict(push, other))
                    .append(" |\n");
        });
        return table.toString();
    }

    private String cell(Row row, String bridge, double median) {
        if (!Double.isNaN(median)) {
            return row.format.apply(median);
        }
        return notRun.containsKey(bridge) ? "not run" : "—";
    }

    static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }

    private record Row(DoubleFunction<String> format, Target target, Map<String, List<Double>> values) {

        /** NaN when the bridge has no value for this metric. */
        double median(String bridge) {
            List<Double> list = values.getOrDefault(bridge, List.of());
            if (list.isEmpty()) {
                return Double.NaN;
            }
            double[] sorted = list.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int mid = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    /**
     * A target of the issue: a bound on nsq-push's value, or on its ratio to nsq_to_http's ({@code relative}), which
     * cannot be judged when nsq_to_http did not run.
     */
    record Target(String text, boolean relative, boolean atMost, double bound) {

        static Target atMost(String text, double bound) {
            return new Target(text, false, true, bound);
        }

        static Target atLeast(String text, double bound) {
            return new Target(text, false, false, bound);
        }

        static Target ratioAtMost(String text, double bound) {
            return new Target(text, true, true, bound);
        }

        static Target ratioAtLeast(String text, double bound) {
            return new Target(text, true, false, bound);
        }

        String verdict(double push, double other) {
            double value = relative ? push / other : push;
            if (Double.isNaN(value)) {
                return text + ": not judged";
            }
            return text + ": " + ((atMost ? value <= bound : value >= bound) ? "met" : "**missed**");
        }
    }
}
