package io.nsqpush;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version, from a resource Maven filters at build time. */
public final class Version {

    private static final String VERSION = load();

    private Version() {
    }

    /** @return e.g. {@code 0.1.0}, or {@code dev} when run from unfiltered sources */
    public static String get() {
        return VERSION;
    }

    /** @return {@code nsq-push/<version>}, our User-Agent on nsqd and on HTTP */
    public static String userAgent() {
        return "nsq-push/" + VERSION;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            String version = properties.getProperty("version", "dev");
            return version.startsWith("${") ? "dev" : version;
        } catch (IOException e) {
            return "dev";
        }
    }
}
