package io.nsqpush.app;

import org.apache.camel.CamelContext;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.Model;
import org.apache.camel.model.TemplatedRouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Live reload of the routes directory. Camel's own reload strategy re-reads only the edited file and does not re-create
 * routes made from a {@code templatedRoute}, so an edited subscription would vanish. This one reloads the whole
 * directory (templates, subscriptions, other routes) on any change; routes are stopped gracefully first (in-flight
 * messages finish), half a second after the last change. A file that does not load is logged and the last working set
 * of files is loaded again; a subscription with a bad parameter is reported in one line and left out while the others
 * run. Every route and template of the context is replaced: keep all routes in this directory.
 */
final class RoutesDirectoryReloader extends RouteWatcherReloadStrategy {

    private static final Logger LOG = LoggerFactory.getLogger(RoutesDirectoryReloader.class);

    private final Path directory;
    private Map<String, String> lastWorking;

    RoutesDirectoryReloader(Path directory) {
        super(directory.toString(), false);
        this.directory = directory;
        setPattern("*.yaml");
    }

    @Override
    protected void doStart() throws Exception {
        lastWorking = read();
        super.doStart();
    }

    /** Editors write a file in steps (truncate, write, rename): reload once the directory has been quiet this long. */
    static final long QUIET_MILLIS = 500;

    private java.util.concurrent.ScheduledExecutorService debounce;
    private java.util.concurrent.ScheduledFuture<?> pending;

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        if (debounce != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(debounce);
            debounce = null;
        }
    }

    @Override
    protected synchronized void onRouteReload(Collection<Resource> changed, boolean removeEverything) {
        if (debounce == null) {
            debounce = getCamelContext().getExecutorServiceManager().newSingleThreadScheduledExecutor(this,
                    "RoutesReload");
        }
        if (pending != null) {
            pending.cancel(false);
        }
        pending = debounce.schedule(this::reload, QUIET_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private synchronized void reload() {
        Map<String, String> files;
        try {
            files = read();
        } catch (IOException e) {
            LOG.error("Cannot read routes under {}: {}; the running routes stay", directory, e.getMessage());
            return;
        }
        try {
            load(files);
            lastWorking = files;
            LOG.info("Reloaded routes under {}: {}", directory, routeIds());
        } catch (Exception e) {
            LOG.error("Routes under {} could not be loaded: {}; going back to the last working routes", directory,
                    LogLines.oneLine(e));
            try {
                load(lastWorking);
            } catch (Exception again) {
                LOG.error("The last working routes could not be loaded again either: {}", LogLines.oneLine(again));
            }
        }
    }

    private void load(Map<String, String> files) throws Exception {
        CamelContext context = getCamelContext();
        List<Resource> resources = new ArrayList<>();
        files.forEach((location, content) -> resources.add(ResourceHelper.fromString(location, content)));
        Collection<RoutesBuilder> builders = PluginHelper.getRoutesLoader(context).findRoutesBuilders(resources);
        context.getRouteController().removeAllRoutes();
        context.removeRouteTemplates("*");
        // as at start-up: routes and templates first, then the routes made from templates
        for (RoutesBuilder builder : builders) {
            builder.addRoutesToCamelContext(context);
        }
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        for (RoutesBuilder builder : builders) {
            if (!(builder instanceof RouteBuilder routes)) {
                builder.addTemplatedRoutesToCamelContext(context);
                continue;
            }
            // one subscription at a time: a bad one is reported and left out, the others run
            routes.getTemplatedRouteCollection().setCamelContext(context);
            for (TemplatedRouteDefinition subscription : routes.getTemplatedRouteCollection().getTemplatedRoutes()) {
                try {
                    model.addRouteFromTemplatedRoute(subscription);
                } catch (Exception e) {
                    leaveOut(subscription.getRouteId(), e);
                }
            }
        }
    }

    private void leaveOut(String routeId, Exception failure) {
        String invalid = NsqPushMain.invalidSetting(failure);
        if (invalid != null) {
            LOG.error("Invalid setting: {}; left out of the reload, the other subscriptions run", invalid);
        } else {
            LOG.error("Subscription {} left out of the reload: {}", routeId, LogLines.oneLine(failure));
        }
        try {
            if (routeId != null && getCamelContext().getRoute(routeId) != null) {
                getCamelContext().getRouteController().stopRoute(routeId);
                getCamelContext().removeRoute(routeId);
            }
        } catch (Exception e) {
            LOG.debug("Could not remove subscription {}: {}", routeId, e.getMessage());
        }
    }

    private Map<String, String> read() throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.list(directory)) {
            for (Path path : paths.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                files.put("file:" + path, Files.readString(path));
            }
        }
        return files;
    }

    private List<String> routeIds() {
        return getCamelContext().getRoutes().stream().map(r -> r.getRouteId()).sorted().toList();
    }
}
