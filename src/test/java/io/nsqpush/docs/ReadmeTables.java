package io.nsqpush.docs;

import io.nsqpush.app.Settings;
import io.nsqpush.component.NsqComponent;
import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.config.Options;
import io.nsqpush.push.PushComponent;
import io.nsqpush.push.PushConfiguration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Renders the README's option tables from the declarations ({@link Settings#ALL}, and the {@code @UriParam}s and
 * {@code @Metadata} of the nsq: and push: components and their endpoints, through {@link Options}), so that the README cannot drift from the code. Each table lives
 * between {@code <!-- generated:NAME -->} and {@code <!-- /generated:NAME -->}.
 * <p>
 * {@code main} runs in the build (pom.xml, phase process-test-classes): a README whose tables differ from a fresh
 * rendering is rewritten and the build fails, so that a developer's build fixes the file and says so, while CI on a
 * clean clone of a stale commit fails. Usage: {@code ReadmeTables [README.md]}.
 */
public final class ReadmeTables {

    static final String STALE = "README.md had stale option tables and was regenerated: review and commit it";
    static final String SETTINGS = "settings";
    static final String NSQ_OPTIONS = "nsq-options";
    static final String PUSH_OPTIONS = "push-options";
    static final java.util.List<String> TABLES = java.util.List.of(SETTINGS, NSQ_OPTIONS, PUSH_OPTIONS);

    private static final String NONE = "—";
    private static final String SECRET = NONE + " (secret: never logged)";

    private ReadmeTables() {
    }

    /** Throws rather than exits: the build runs this in Maven's JVM, where the exception's message ends the build. */
    public static void main(String[] args) throws IOException {
        Path readme = Path.of(args.length > 0 ? args[0] : "README.md");
        String text = Files.readString(readme);
        String fresh = render(text);
        if (!fresh.equals(text)) {
            Files.writeString(readme, fresh);
            throw new StaleReadme();
        }
    }

    /** Without a stack trace: exec:java logs the exception, and the build's output should be the one line. */
    private static final class StaleReadme extends RuntimeException {
        StaleReadme() {
            super(STALE, null, false, false);
        }
    }

    /** @return the README with every generated region rendered afresh, the rest untouched */
    static String render(String readme) {
        String nsq = optionsTable(Options.of(NsqComponent.class), NsqConfiguration.OPTIONS);
        String push = optionsTable(Options.of(PushComponent.class), PushConfiguration.OPTIONS);
        return replace(replace(replace(readme, SETTINGS, settingsTable()), NSQ_OPTIONS, nsq), PUSH_OPTIONS, push);
    }

    /** @return what stands between the region's markers */
    static String region(String readme, String name) {
        int[] bounds = bounds(readme, name);
        return readme.substring(bounds[0], bounds[1]);
    }

    static String settingsTable() {
        return "| key | default | allowed | subscription parameter | description |\n|---|---|---|---|---|\n"
                + Settings.ALL.stream().map(s -> row(code(s.key()), s.secret() ? SECRET : code(s.defaultValue()),
                        text(s.allowed()), code(s.parameter()), text(s.description())))
                .collect(Collectors.joining());
    }

    /**
     * Options of the component itself first (shared by all its endpoints: {@code camel.component.<name>.<option>}),
     * then those of each endpoint, which may also be set component-wide as defaults.
     */
    static String optionsTable(Options component, Options endpoint) {
        StringBuilder table = new StringBuilder(
                "| option | default | allowed | scope | description |\n|---|---|---|---|---|\n");
        component.all().values().stream().filter(o -> endpoint.find(o.name()).isEmpty() && !o.name().equals(
                "configuration")).forEach(o -> table.append(optionRow(o, "component")));
        endpoint.all().values().forEach(o -> table.append(optionRow(o,
                o.label().isEmpty() ? "endpoint" : "endpoint (" + o.label().replace(",", ", ") + ")")));
        return table.toString();
    }

    private static String optionRow(Options.Option o, String scope) {
        return row(code(o.name()), o.secret() ? SECRET : code(o.defaultValue()),
                o.allowed().isEmpty() ? NONE : text(o.allowed()), scope, text(o.description()));
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    /** A value in a code span: only {@code |} and line breaks matter there. */
    private static String code(String value) {
        return value == null || value.isEmpty() ? NONE : "`" + cell(value) + "`";
    }

    /** Prose: {@code <} would start an HTML tag ({@code <topic>} would vanish). */
    static String text(String value) {
        return cell(value).replace("<", "&lt;");
    }

    /** A pipe would end the cell and a line break the row, in a code span too (GFM reads {@code \|} in both). */
    static String cell(String value) {
        return value.replaceAll("\\s*\\R\\s*", " ").replace("|", "\\|");
    }

    private static String replace(String readme, String name, String table) {
        int[] bounds = bounds(readme, name);
        return readme.substring(0, bounds[0]) + "\n" + table + "\n" + readme.substring(bounds[1]);
    }

    /** @return the start and end of what stands between the region's two marker lines */
    private static int[] bounds(String readme, String name) {
        String open = "<!-- generated:" + name + " -->\n";
        String close = "<!-- /generated:" + name + " -->";
        int start = readme.indexOf(open);
        int end = readme.indexOf(close);
        if (start < 0 || end < start || readme.indexOf(open, start + 1) >= 0) {
            throw new IllegalStateException("README.md needs one '" + open.strip() + "' ... '" + close + "' pair");
        }
        return new int[] {start + open.length(), end};
    }
}
