package io.nsqpush.app;

import org.apache.camel.Ordered;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.PropertiesSource;
import org.apache.camel.util.IOHelper;

/**
 * Where a setting comes from, first found wins: a command-line flag, a JVM system property ({@code -Dpush.url=...}),
 * an environment variable ({@code PUSH_URL}), application.properties, the built-in default. This is the order users
 * know from other tools (Spring Boot's, viper's): what is typed last, on the command line, wins.
 * <p>
 * Camel's own lookup puts environment variables and system properties above everything, its override properties (our
 * flags) included; so its override modes are turned off and this source, ahead of the properties file, looks them up
 * the same way (an environment variable named as Camel names it: upper case, dots and dashes as underscores).
 */
final class FlagsFirst implements PropertiesSource, Ordered {

    private FlagsFirst() {
    }

    /** Applies the order to a context's properties component, before any setting is read. */
    static void apply(PropertiesComponent properties) {
        if (properties instanceof org.apache.camel.component.properties.PropertiesComponent camel) {
            camel.setSystemPropertiesMode(
                    org.apache.camel.component.properties.PropertiesComponent.SYSTEM_PROPERTIES_MODE_NEVER);
            camel.setEnvironmentVariableMode(
                    org.apache.camel.component.properties.PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_NEVER);
        }
        properties.addPropertiesSource(new FlagsFirst());
    }

    @Override
    public String getName() {
        return "nsq-push system properties and environment";
    }

    @Override
    public String getProperty(String name) {
        String value = System.getProperty(name);
        return value != null ? value : IOHelper.lookupEnvironmentVariable(name);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST;
    }
}
