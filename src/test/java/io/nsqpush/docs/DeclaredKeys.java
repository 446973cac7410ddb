package io.nsqpush.docs;

import io.nsqpush.app.NsqPushMain;
import io.nsqpush.app.Setting;
import io.nsqpush.app.Settings;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a properties file written for the bridge (application.properties, the one in deploy/) against the
 * declarations: every key, in {@code #key=value} lines too, is a declared setting or a Camel key (a typo would
 * otherwise be ignored silently), and a commented line shows the default the bridge really has, so that uncommenting
 * it changes nothing. A commented line of a setting without a default is an example and may show anything.
 */
public final class DeclaredKeys {

    /** {@code key=value} or {@code #key=value}; prose comments do not match (a key has a dot and no spaces). */
    private static final Pattern LINE =
            Pattern.compile("(#)?\\s*([a-z][a-zA-Z0-9-]*(?:\\.[a-zA-Z0-9_\\[\\]-]+)+)\\s*=(.*)");

    private DeclaredKeys() {
    }

    /** @return one line per problem; empty when the file agrees with the declarations */
    public static List<String> problems(String properties) {
        List<String> problems = new ArrayList<>();
        for (String line : properties.split("\\R")) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                continue;
            }
            String key = m.group(2);
            boolean camel = key.startsWith("camel.");
            Optional<Setting> setting = Settings.find(key);
            if (!camel && setting.isEmpty()) {
                problems.add(key + " is neither a declared setting (Settings.ALL) nor a camel.* key");
                continue;
            }
            String declared = camel ? NsqPushMain.camelDefault(key) : setting.get().defaultValue();
            String shown = m.group(3).strip();
            if (m.group(1) != null && declared != null && !declared.isEmpty() && !declared.equals(shown)) {
                problems.add("'" + line + "' shows " + shown + ", but the default is " + declared);
            }
        }
        return problems;
    }
}
