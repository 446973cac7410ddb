package io.nsqpush.app;

import io.nsqpush.Version;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.push.DeliveryLog;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteFromTemplateException;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.DefaultMainShutdownStrategy;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Runs the bridge: camel-main with the settings (defaults declared in {@link Settings}, then ./application.properties,
 * -D and environment variables, then the command line) and the YAML routes under ./routes (or the jar's own copy when
 * there is no such directory). Settings are checked before any route starts; a bad one ends the process with exit code
 * 2 and one log line that names it.
 */
public final class NsqPushMain {

    static {
        LogLines.configure(); // before the first logger exists
    }

    private static final Logger LOG = LoggerFactory.getLogger(NsqPushMain.class);

    /** Exit code for a setting or flag that cannot work. */
    public static final int EXIT_INVALID_SETTING = 2;
    /** The bridge could not start for another reason (logged on one line). */
    public static final int EXIT_FAILED = 1;

    /** The settings file, read from the directory the bridge starts in. */
    static final String PROPERTIES_FILE = "application.properties";

    /** The routes shipped in the jar, used when there is no routes directory (the jar run on its own, with flags). */
    static final String BUILT_IN_ROUTES = "classpath:io/nsqpush/routes/*.yaml";

    /**
     * The last segment (lower case, no dashes) of every key that holds a secret or a URL that may hold one: the
     * nsq: component's AUTH secret and store passwords, the signing secret, and the URLs and URIs (user-info,
     * ?token=, a component's secret options) that our own lines print masked. Camel matches a key's last segment as a
     * substring of this list, so a few harmless keys (tls, tlsTrustStore) are masked too.
     */
    static final String SECRET_KEYWORDS = "authsecret,tlstruststorepassword,tlskeystorepassword,signingsecret,"
            + "url,uri,from";

    /** Camel's settings that the bridge runs with unless application.properties or a flag says otherwise. */
    private static final Map<String, String> CAMEL_DEFAULTS = Map.ofEntries(
            Map.entry("camel.main.name", "nsq-push"),
            // what a user asked for goes first; Camel's summary of ~60 lines is a flag away
            Map.entry("camel.main.auto-configuration-log-summary", "false"),
            // keys Camel's own list of sensitive names misses: its summaries print these as xxxxxx
            Map.entry("camel.main.additional-sensitive-keywords", SECRET_KEYWORDS),
            Map.entry("camel.main.shutdown-timeout", "30"),
            Map.entry("camel.management.enabled", "true"),
            Map.entry("camel.management.host", "0.0.0.0"),
            Map.entry("camel.management.port", "9876"),
            Map.entry("camel.management.health-check-enabled", "true"),
            Map.entry("camel.management.metrics-enabled", "true"),
            Map.entry("camel.metrics.enabled", "true"),
            Map.entry("camel.metrics.binders", "jvm-memory,jvm-gc,jvm-thread,processor,uptime"),
            // Camel's own per-exchange timers cost CPU on every message and duplicate nsq_push_*
            Map.entry("camel.metrics.enable-exchange-event-notifier", "false"),
            Map.entry("camel.metrics.enable-route-policy", "false"),
            Map.entry("camel.metrics.enable-route-event-notifier", "false"),
            // JMX shows the context, routes, endpoints (push: and nsq:), consumers and producers with their counters.
            // Camel's Default levels also register an MBean per step and wrap every step in a timer: ~20 µs per
            // message on the C1-compiled bridge, and ~1 s of start-up at 200 subscriptions (BENCHMARKS.md). Both are
            // a setting away (Default)
            Map.entry("camel.main.jmx-management-statistics-level", "RoutesOnly"),
            Map.entry("camel.main.jmx-management-mbeans-level", "RoutesOnly"));

    private NsqPushMain() {
    }

    /** @return Camel's setting as the bridge runs with it unless configured, or null (for checks of config files) */
    public static String camelDefault(String key) {
        return CAMEL_DEFAULTS.get(key);
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /** Runs until stopped (SIGTERM, Ctrl-C). @return the process exit code */
    public static int run(String[] args) throws Exception {
        return run(args, Map.of());
    }

    /** As {@link #run(String[])}, with settings that win over everything else (used by tests). */
    public static int run(String[] args, Map<String, String> overrides) throws Exception {
        CommandLine.Parsed line;
        try {
            line = CommandLine.parse(args);
        } catch (InvalidValueException e) {
            LOG.error("Invalid flag: {}", e.getMessage());
            return EXIT_INVALID_SETTING;
        }
        if (line.action() == CommandLine.Action.HELP) {
            System.out.print(CommandLine.help());
            return 0;
        }
        if (line.action() == CommandLine.Action.VERSION) {
            System.out.println("nsq-push " + Version.get() + " (takes nsq_to_http v1.3.0's flags)");
            return 0;
        }
        // jars in ./lib join the class path: Camel finds components through the thread's and the context's loader
        ClassLoader lib = LibFolder.classLoader(Path.of("lib"), NsqPushMain.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(lib);
        Map<String, String> all = new LinkedHashMap<>(line.overrides());
        all.putAll(overrides);
        Main main = create(line.defaults(), all);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                support.getCamelContext().setApplicationContextClassLoader(lib);
            }
        });
        stopOnSignals(main);
        try {
            main.run(new String[0]);
            return main.getExitCode();
        } catch (Exception e) {
            // one line, never a stack trace: what is wrong and where (the setting, the route file and line)
            String invalid = invalidSetting(e);
            if (invalid != null) {
                LOG.error("Invalid setting: {}", invalid);
                return EXIT_INVALID_SETTING;
            }
            if (isRouteDefinitionError(e)) {
                LOG.error("Invalid routes: {}", LogLines.oneLine(e));
                return EXIT_INVALID_SETTING;
            }
            LOG.error("Cannot start: {}", LogLines.oneLine(e));
            LOG.debug("Why the bridge could not start", e);
            return EXIT_FAILED;
        }
    }

    /**
     * @param defaults  settings below application.properties (nsq_to_http's defaults when its flags are used)
     * @param overrides settings above everything else (the command line, tests)
     * @return a Main configured as the bridge runs, not yet started
     */
    public static Main create(Map<String, String> defaults, Map<String, String> overrides) {
        // no class given: Camel would scan its package for beans at every start (half a second in the fat jar)
        Main main = new Main();
        Map<String, String> fallbacks = new LinkedHashMap<>(Settings.defaults());
        fallbacks.putAll(defaults);
        Properties initial = new Properties();
        initial.putAll(CAMEL_DEFAULTS);
        // an alias as a placeholder reads as its option's default unless something set it (aliasesAsPlaceholders)
        for (Setting setting : Settings.ALL) {
            if (setting.alias() != null) {
                initial.setProperty(setting.key(), setting.defaultValue());
            }
        }
        initial.putAll(fallbacks);
        main.setInitialProperties(initial);
        main.setPropertyPlaceholderLocations("file:" + PROPERTIES_FILE + ";optional=true");
        overrides.forEach(main::addOverrideProperty);
        List<Settings.Applied> applied = new ArrayList<>();
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                PropertiesComponent properties = support.getCamelContext().getPropertiesComponent();
                FlagsFirst.apply(properties);
                applied.addAll(Settings.validate(SettingLayers.of(overrides, Path.of(PROPERTIES_FILE), fallbacks)));
                aliasesAsPlaceholders(properties, applied);
                CamelContext context = support.getCamelContext();
                // one MBean description per class, not per MBean: hundreds of subscriptions start a second sooner
                CachedMBeanAssembler.install(context);
                // before the routes are read: subscriptions are made from the template as they are read
                context.getCamelContextExtension().getContextPlugin(org.apache.camel.model.Model.class)
                        .addRouteTemplateDefinitionConverter(SubscriptionParameters.TEMPLATE,
                                new SubscriptionParameters());
                // every route that consumes nsq: gets its metrics and its start-up line; push: reports each request
                PushMetrics metrics = new PushMetrics(context);
                context.getRegistry().bind("pushMetrics", metrics);
                context.addRoutePolicyFactory(metrics);
                context.addRoutePolicyFactory(new SubscriptionSummary());
                // what happened to each recent message, for /observe/deliveries and the dead-letter record
                DeliveryLog deliveries = new DeliveryLog(System::currentTimeMillis,
                        (int) (long) setting(properties, Settings.DELIVERIES_KEPT),
                        setting(properties, Settings.DELIVERIES_KEPT_BYTES));
                context.getRegistry().bind("deliveryLog", deliveries);
                DeliveriesEndpoint endpoint = new DeliveriesEndpoint(context, deliveries);
                context.getRegistry().bind("deliveriesEndpoint", endpoint);
                context.addRoutePolicyFactory(endpoint);
                requireFreeManagementPort(properties);
                requireDeadLetterComponent(context, properties);
                Tracing.configure(context, properties, Thread.currentThread().getContextClassLoader());
                Path routes = Path.of(properties.resolveProperty("routes.directory").orElse("routes"));
                support.configure().setRoutesIncludePattern(Files.isDirectory(routes)
                        ? "file:" + routes + "/*.yaml" : BUILT_IN_ROUTES);
            }

            @Override
            public void afterConfigure(BaseMainSupport support) {
                CamelContext context = support.getCamelContext();
                PropertiesComponent properties = context.getPropertiesComponent();
                Components.configure(context, applied);
                PushMetrics metrics = context.getRegistry().lookupByNameAndType("pushMetrics", PushMetrics.class);
                long statusInterval = (Long) Settings.get("status.interval")
                        .parse(properties.resolveProperty("status.interval").orElse(""));
                long statusEvery = (Long) Settings.get("status.every")
                        .parse(properties.resolveProperty("status.every").orElse(""));
                try {
                    // after the management server, whose router it adds to
                    context.addService(context.getRegistry().lookupByNameAndType("deliveriesEndpoint",
                            DeliveriesEndpoint.class));
                    if (statusInterval > 0 || statusEvery > 0) {
                        context.addService(new StatusLog(context, metrics, statusInterval, statusEvery));
                    }
                    Path directory = Path.of(properties.resolveProperty("routes.directory").orElse("routes"));
                    if (Boolean.parseBoolean(properties.resolveProperty("routes.reload-enabled").orElse("true"))
                            && Files.isDirectory(directory)) {
                        context.addService(new RoutesDirectoryReloader(directory));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("cannot start the status line or the routes' reloading", e);
                }
            }
        });
        return main;
    }

    /** @return a whole-number setting of the bridge's own, as resolved (validated before) */
    private static long setting(PropertiesComponent properties, String key) {
        return (Long) Settings.get(key).parse(properties.resolveProperty(key).orElse(Settings.get(key).defaultValue()));
    }

    /**
     * Routes may use a setting as a placeholder ({@code {{nsq.nsqd-tcp-addresses}}}): an alias of a component option
     * then reads as the option's value, wherever it was set (the alias, its camel.component key, or the default).
     */
    private static void aliasesAsPlaceholders(PropertiesComponent properties, List<Settings.Applied> applied) {
        Properties effective = new Properties();
        for (Settings.Applied value : applied) {
            for (Setting setting : Settings.ALL) {
                if (setting.alias() != null && setting.alias().camelKey().equals(value.alias().camelKey())) {
                    effective.setProperty(setting.key(), value.alias().option().text(value.value()));
                }
            }
        }
        if (properties instanceof org.apache.camel.component.properties.PropertiesComponent camel) {
            Properties overrides = camel.getOverrideProperties() == null ? new Properties()
                    : camel.getOverrideProperties();
            effective.forEach(overrides::putIfAbsent);
            camel.setOverrideProperties(overrides);
        }
    }

    /**
     * SIGTERM and SIGINT stop the bridge gracefully and the process exits 0. Camel's own hook runs inside the JVM's
     * shutdown, after which the JVM exits 143 whatever happened; handling the signals ourselves lets run() return.
     */
    private static void stopOnSignals(Main main) {
        if (main.getShutdownStrategy() instanceof DefaultMainShutdownStrategy strategy) {
            strategy.disableHangupSupport();
        }
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                LOG.info("SIG{} received: stopping", name);
                main.completed();
            });
        }
    }

    /**
     * The management server (health, metrics) is started by Camel, which only logs a WARN and a stack trace when its
     * port is taken and runs on without it; probes and scrapers would then fail with no clear cause. A taken port is
     * refused at start-up like any bad setting.
     */
    private static void requireFreeManagementPort(PropertiesComponent properties) {
        if (!Boolean.parseBoolean(properties.resolveProperty("camel.management.enabled").orElse("false"))) {
            return;
        }
        String host = properties.resolveProperty("camel.management.host").orElse("0.0.0.0");
        String port = properties.resolveProperty("camel.management.port").orElse("");
        int number;
        try {
            number = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new InvalidValueException("camel.management.port", port, "is not a port", "0..65535");
        }
        if (number < 0 || number > 65535) {
            throw new InvalidValueException("camel.management.port", port, "is out of range", "0..65535");
        }
        if (number == 0) {
            return; // any free port
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, number));
        } catch (IOException e) {
            throw new InvalidValueException("camel.management.port", port, "cannot be listened on at " + host + " ("
                    + e.getMessage() + ")", "a free port, 0 for any, or camel.management.enabled=false");
        }
    }

    /**
     * A dead-letter URI whose scheme no component serves would only fail when the first message is dead-lettered:
     * every dead letter would then be lost to an error. It stops start-up instead.
     */
    private static void requireDeadLetterComponent(CamelContext context, PropertiesComponent properties) {
        String uri = properties.resolveProperty("dead-letter.uri").orElse("").trim();
        int colon = uri.indexOf(':');
        if (uri.isEmpty() || colon <= 0) {
            return; // empty: the NSQ topic; a URI without a scheme is refused by the setting's own check
        }
        String scheme = uri.substring(0, colon);
        // looked up without creating it: a component made now would miss its camel.component.* configuration
        boolean served = context.hasComponent(scheme) != null
                || context.getRegistry().lookupByName(scheme) instanceof org.apache.camel.Component
                || context.getCamelContextExtension().getFactoryFinder(
                        "META-INF/services/org/apache/camel/component/").findClass(scheme).isPresent();
        if (!served) {
            throw new InvalidValueException("dead-letter.uri", io.nsqpush.push.Redaction.uri(uri), "names the scheme '"
                    + scheme + "', which no component on the class path serves",
                    "a URI of a component the bridge has (nsq:, file:, log:, …, or one in lib/), or empty");
        }
    }

    private static final java.util.regex.Pattern MISSING = java.util.regex.Pattern.compile(
            "Property with key \\[([^\\]]+)\\] not found in properties");

    /** @return what to say when a route uses a setting nobody set ({@code {{nsq.topic}}}), else null */
    private static String missing(Throwable failure) {
        java.util.regex.Matcher missing = MISSING.matcher(String.valueOf(failure.getMessage()));
        if (!(failure instanceof IllegalArgumentException) || !missing.find()) {
            return null;
        }
        String key = missing.group(1);
        return key + " is not set, and a route uses it ({{" + key + "}}): add it to application.properties or pass --"
                + key + "=…";
    }

    /** @return whether a route file could not be read as routes (YAML syntax, an unknown step or option) */
    private static boolean isRouteDefinitionError(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            String type = t.getClass().getName();
            if (type.startsWith("org.apache.camel.dsl.yaml.") || type.startsWith("org.snakeyaml.")) {
                return true;
            }
        }
        return false;
    }

    /**
     * @return the one line to log when this failure is a setting, flag or subscription parameter that cannot work
     *         (prefixed with the subscription's route id when it came from one), else null
     */
    public static String invalidSetting(Throwable failure) {
        String routeId = null;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof FailedToCreateRouteFromTemplateException fromTemplate && routeId == null) {
                routeId = fromTemplate.getRouteId();
            } else if (t instanceof org.apache.camel.FailedToStartRouteException notStarted && routeId == null) {
                routeId = notStarted.getRouteId();
            } else if (t instanceof org.apache.camel.FailedToCreateRouteException notCreated && routeId == null) {
                routeId = notCreated.getRouteId();
            }
            String message = t instanceof InvalidValueException invalid ? invalid.getMessage() : missing(t);
            if (message != null) {
                return routeId == null ? message : "subscription " + routeId + ": " + message;
            }
        }
        return null;
    }
}
