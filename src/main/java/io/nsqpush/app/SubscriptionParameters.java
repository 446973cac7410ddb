package io.nsqpush.app;

import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.push.DeadLetterDestination;
import io.nsqpush.push.PushConfiguration;
import org.apache.camel.model.FromDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.RouteTemplateDefinition;
import org.apache.camel.model.RouteTemplateParameterDefinition;
import org.apache.camel.model.ToDefinition;
import org.apache.camel.util.StringHelper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a subscription's parameters reach the push template's chain (routes/push.yaml): a parameter the template
 * declares is the template's own (topic, url, redeliveries, ...); deadLetterUri becomes the route's property of that
 * name (where the dead-letter route keeps its dead letters); every other one is the option of that name of
 * {@code nsq:} or {@code push:}, added to the template's {@code from: nsq:} or its {@code to: push:} endpoint. So a
 * subscription may set any option of either component, the template lists none of them, and an option it does not
 * set is the component-wide one ({@code camel.component.*}, or its alias in application.properties). A parameter that
 * is neither stops the subscription with one line naming it and the closest name there is.
 */
final class SubscriptionParameters implements RouteTemplateDefinition.Converter {

    /** The template this applies to. */
    static final String TEMPLATE = "nsq-push";
    /** Earlier names of the template's parameters, still taken. */
    private static final Map<String, String> FORMER = Map.of("owner", "topicOwner");

    @Override
    public RouteDefinition apply(RouteTemplateDefinition template, Map<String, Object> parameters) throws Exception {
        RouteDefinition route = DEFAULT_CONVERTER.apply(template, parameters);
        Set<String> declared = new LinkedHashSet<>();
        for (RouteTemplateParameterDefinition parameter : template.getTemplateParameters()) {
            declared.add(parameter.getName());
        }
        Map<String, String> nsq = new LinkedHashMap<>();
        Map<String, String> push = new LinkedHashMap<>();
        // Camel hands every parameter over in camel-case and kebab-case: each name once, as camel case
        Map<String, Object> given = new LinkedHashMap<>();
        parameters.forEach((name, value) -> given.putIfAbsent(StringHelper.dashToCamelCase(name), value));
        for (Map.Entry<String, Object> parameter : given.entrySet()) {
            String name = FORMER.getOrDefault(parameter.getKey(), parameter.getKey());
            if (declared.contains(parameter.getKey()) || name.equals("parentRouteId")
                    || name.equals("parentProcessorId")) {
                continue;
            }
            String value = String.valueOf(parameter.getValue());
            if (name.equals(DeadLetterDestination.ROUTE_PROPERTY)) {
                route.routeProperty(name, value); // read by the dead-letter route and the start-up line
            } else if (NsqConfiguration.OPTIONS.find(name).isPresent()) {
                nsq.put(name, value);
            } else if (PushConfiguration.OPTIONS.find(name).isPresent()) {
                push.put(name, value);
            } else {
                List<String> known = new ArrayList<>(declared);
                known.add(DeadLetterDestination.ROUTE_PROPERTY);
                known.addAll(NsqConfiguration.OPTIONS.all().keySet());
                known.addAll(PushConfiguration.OPTIONS.all().keySet());
                String closest = Suggestions.closest(parameter.getKey(), known);
                throw new InvalidValueException(parameter.getKey(), parameter.getKey() + ": not a parameter of"
                        + " subscriptions (the template's own, or an option of nsq: or push:)"
                        + (closest == null ? "" : "; did you mean " + closest + "?"));
            }
        }
        FromDefinition from = route.getInput();
        from.setUri(append(from.getUri(), nsq));
        ToDefinition to = pushStep(route.getOutputs());
        if (to == null && !push.isEmpty()) {
            throw new IllegalStateException("the template " + TEMPLATE + " has no to: push: step for "
                    + push.keySet());
        }
        if (to != null) {
            to.setUri(append(to.getUri(), push));
        }
        return route;
    }

    private static ToDefinition pushStep(List<ProcessorDefinition<?>> outputs) {
        for (ProcessorDefinition<?> output : outputs) {
            if (output instanceof ToDefinition to && to.getUri() != null && to.getUri().startsWith("push:")) {
                return to;
            }
        }
        return null;
    }

    /** @return the URI with the options added, each value as it is (RAW), so that no character is read as syntax */
    static String append(String uri, Map<String, String> options) {
        StringBuilder out = new StringBuilder(uri);
        char separator = uri.contains("?") ? '&' : '?';
        for (Map.Entry<String, String> option : options.entrySet()) {
            out.append(separator).append(option.getKey()).append('=').append(raw(option.getValue()));
            separator = '&';
        }
        return out.toString();
    }

    private static String raw(String value) {
        if (!value.contains(")")) {
            return "RAW(" + value + ")";
        } else if (!value.contains("}")) {
            return "RAW{" + value + "}";
        }
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
