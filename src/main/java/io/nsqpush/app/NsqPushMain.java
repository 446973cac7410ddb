package io.nsqpush.app;

import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.DefaultMainShutdownStrategy;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the bridge: camel-main with ./application.properties and the YAML routes under ./routes. Settings are checked
 * before any route starts; a bad one ends the process with exit code 2 and one log line that names it.
 */
public final class NsqPushMain {

    private static final Logger LOG = LoggerFactory.getLogger(NsqPushMain.class);

    /** Exit code for a setting that cannot work. */
    public static final int EXIT_INVALID_SETTING = 2;

    private NsqPushMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /** Runs until stopped (SIGTERM, Ctrl-C). @return the process exit code */
    public static int run(String[] args) throws Exception {
        return run(args, Map.of());
    }

    /** As {@link #run(String[])}, with properties that win over application.properties. */
    public static int run(String[] args, Map<String, String> overrides) throws Exception {
        // jars in ./lib join the class path: Camel finds components through the thread's and the context's loader
        ClassLoader lib = LibFolder.classLoader(Path.of("lib"), NsqPushMain.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(lib);
        Main main = create(overrides);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                support.getCamelContext().setApplicationContextClassLoader(lib);
            }
        });
        stopOnSignals(main);
        try {
            main.run(args);
            return main.getExitCode();
        } catch (Exception e) {
            InvalidSettingException invalid = invalidSetting(e);
            if (invalid == null) {
                throw e;
            }
            LOG.error("Invalid setting: {}", invalid.getMessage());
            return EXIT_INVALID_SETTING;
        }
    }

    /**
     * @param overrides properties that win over application.properties, as -D does (used by tests)
     * @return a Main configured as the bridge runs, not yet started
     */
    public static Main create(Map<String, String> overrides) {
        Main main = new Main(NsqPushMain.class);
        main.setPropertyPlaceholderLocations("file:application.properties");
        overrides.forEach(main::addOverrideProperty);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                PropertiesComponent properties = support.getCamelContext().getPropertiesComponent();
                new PushSettings(properties::resolveProperty).validate();
            }

            @Override
            public void afterConfigure(BaseMainSupport support) {
                CamelContext context = support.getCamelContext();
                PropertiesComponent properties = context.getPropertiesComponent();
                HttpClientSettings.apply(context);
                // the routes call these by name (processors, cheaper per message than bean invocations)
                PushMetrics metrics = new PushMetrics(context);
                context.getRegistry().bind("pushMetrics", metrics);
                context.getRegistry().bind("pushFailedAttempt", (Processor) metrics::failedAttempt);
                context.getRegistry().bind("pushStarted", (Processor) metrics::started);
                context.getRegistry().bind("pushDelivered", (Processor) metrics::delivered);
                context.getRegistry().bind("pushRequeued", (Processor) metrics::requeued);
                context.getRegistry().bind("pushDeadLettered", (Processor) metrics::deadLettered);
                // redelivered POSTs run on this pool (camel-http blocks): as many threads as messages in flight
                int maxInFlight = Integer.parseInt(properties.resolveProperty("nsq.max-in-flight").orElse("200"));
                context.getRegistry().bind("pushRedeliveryPool", context.getExecutorServiceManager()
                        .newScheduledThreadPool(NsqPushMain.class, "PushRedelivery", maxInFlight));
                long statusInterval = Long.parseLong(properties.resolveProperty("status.interval").orElse("60"));
                if (statusInterval > 0) {
                    try {
                        context.addService(new StatusLog(context, metrics, statusInterval));
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot start the status line", e);
                    }
                }
                if (Boolean.parseBoolean(properties.resolveProperty("routes.reload-enabled").orElse("true"))) {
                    Path directory = Path.of(properties.resolveProperty("routes.directory").orElse("routes"));
                    try {
                        support.getCamelContext().addService(new RoutesDirectoryReloader(directory));
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot watch " + directory + " for route changes", e);
                    }
                }
            }
        });
        return main;
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

    /** @return the InvalidSettingException that caused this failure, if any */
    public static InvalidSettingException invalidSetting(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InvalidSettingException invalid) {
                return invalid;
            }
        }
        return null;
    }
}
