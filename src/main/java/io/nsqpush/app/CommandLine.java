package io.nsqpush.app;

import io.nsqpush.component.NsqConfiguration;
import io.nsqpush.config.Options;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.config.Range;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line. nsq_to_http's own flags (v1.3.0, the same names, Go syntax: {@code -flag value},
 * {@code --flag=value}, durations like {@code 2s}), {@code --format}, and every setting as {@code --key=value}. Flags win
 * over application.properties, environment variables and system properties ({@link FlagsFirst}). When nsq_to_http's flags are used, the defaults are nsq_to_http's where the two tools
 * overlap (raw body, its content type, its timeouts and concurrency), below application.properties.
 */
final class CommandLine {

    /** What the command line asks for. */
    enum Action { RUN, HELP, VERSION }

    /**
     * @param action    run the bridge, or print help or the version
     * @param defaults  nsq_to_http's defaults when its flags are used (below application.properties), else empty
     * @param overrides the flags as settings (above application.properties)
     */
    record Parsed(Action action, Map<String, String> defaults, Map<String, String> overrides) {
    }

    /** A go-nsq option of --consumer-opt and the setting it feeds; {@code scale} turns a percentage into a share. */
    private record ConsumerOption(String key, boolean percent) {
    }

    /** go-nsq's options (--consumer-opt name,value) that have an equivalent here; others are refused by name. */
    private static final Map<String, ConsumerOption> CONSUMER_OPTIONS = consumerOptions();

    /** nsq_to_http's defaults, where they differ from ours. */
    private static final Map<String, String> NSQ_TO_HTTP_DEFAULTS = Map.of(
            Settings.CHANNEL, "nsq_to_http",
            "push.format", "SIMPLIFIED",
            "push.content-type", "application/octet-stream",
            "push.timeout", "20s",
            "push.connect-timeout", "2s",
            "nsq.max-in-flight", "200",
            "push.concurrency", "100",
            "status.every", "250");

    private static final List<String> NSQ_TO_HTTP_FLAGS = List.of("topic", "channel", "nsqd-tcp-address",
            "lookupd-http-address", "post", "get", "content-type", "header", "mode", "n", "max-in-flight", "sample",
            "status-every", "http-client-connect-timeout", "http-client-request-timeout", "consumer-opt");

    private final Map<String, String> overrides = new LinkedHashMap<>();
    private final List<String> nsqd = new ArrayList<>();
    private final List<String> lookupd = new ArrayList<>();
    private final List<String> post = new ArrayList<>();
    private final List<String> get = new ArrayList<>();
    private final List<String> headers = new ArrayList<>();
    private Integer publishers;
    private Integer maxInFlight;
    private boolean nsqToHttp;
    private Action action = Action.RUN;

    private CommandLine() {
    }

    /** @throws InvalidValueException naming the flag, for an unknown flag, a missing or malformed value */
    static Parsed parse(String... args) {
        CommandLine line = new CommandLine();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                throw new InvalidValueException(arg, "unexpected argument '" + arg + "': every argument is a flag,"
                        + " e.g. --topic=orders (see --help)");
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int equals = body.indexOf('=');
            String name = equals < 0 ? body : body.substring(0, equals);
            String value = equals < 0 ? null : body.substring(equals + 1);
            if (value == null && line.takesValue(name)) {
                line.known(name);
                if (i + 1 >= args.length) {
                    throw new InvalidValueException("--" + name, "--" + name + " needs a value, e.g. --" + name
                            + "=...");
                }
                value = args[++i];
            }
            line.flag(name, value);
        }
        return line.result();
    }

    private boolean takesValue(String name) {
        return !List.of("help", "h", "version").contains(name);
    }

    private void flag(String name, String value) {
        String flag = "--" + name;
        if (NSQ_TO_HTTP_FLAGS.contains(name)) {
            nsqToHttp = true;
        }
        switch (name) {
            case "help", "h" -> action = Action.HELP;
            case "version" -> {
                if (value == null || Boolean.parseBoolean(value)) {
                    action = action == Action.HELP ? Action.HELP : Action.VERSION;
                }
            }
            case "topic" -> set(flag, Settings.TOPIC, value);
            case "channel" -> set(flag, Settings.CHANNEL, value);
            case "nsqd-tcp-address" -> nsqd.add(value);
            case "lookupd-http-address" -> lookupd.add(value);
            case "post" -> post.add(value);
            case "get" -> get.add(value);
            case "content-type" -> set(flag, "push.content-type", value);
            case "header" -> headers.add(header(flag, value));
            case "mode" -> set(flag, "push.mode", value);
            case "n" -> publishers = (int) Range.whole(1, 65_535).parse(flag, value);
            case "max-in-flight" -> maxInFlight = ((Number) Settings.get("nsq.max-in-flight").parser().parse(flag, value)).intValue();
            case "sample" -> set(flag, "push.sample", value);
            case "status-every" -> set(flag, "status.every", value);
            case "http-client-connect-timeout" -> set(flag, "push.connect-timeout", value);
            case "http-client-request-timeout" -> set(flag, "push.timeout", value);
            case "consumer-opt" -> consumerOption(value);
            case "format" -> set(flag, "push.format", value);
            default -> setting(flag, name, value);
        }
    }

    /** --key=value for a setting of application.properties, or any Camel key (camel.*). */
    private void setting(String flag, String key, String value) {
        known(key);
        if (Settings.find(key).isPresent()) {
            set(flag, key, value);
        } else {
            overrides.put(key, value);
        }
    }

    /** @throws InvalidValueException when this is neither a flag nor a setting nor a Camel key */
    private void known(String name) {
        boolean flag = NSQ_TO_HTTP_FLAGS.contains(name) || name.equals("format");
        if (!flag && Settings.find(name).isEmpty() && !name.startsWith("camel.")) {
            throw new InvalidValueException("--" + name, "--" + name + " is not a flag of nsq-push: see --help for"
                    + " nsq_to_http's flags and every setting as --key=value");
        }
    }

    /** Checks the value with the setting's own rules, naming the flag as the user wrote it. */
    private void set(String flag, String key, String value) {
        Optional<Setting> setting = Settings.find(key);
        if (setting.isPresent()) {
            setting.get().parser().parse(flag, value);
        } else {
            checkComponentOption(flag, key, value);
        }
        overrides.put(key, value);
    }

    private void consumerOption(String value) {
        String[] parts = value.split(",", 2);
        String option = parts[0].trim();
        String optionValue = parts.length == 2 ? parts[1].trim() : "true";
        String flag = "--consumer-opt " + option;
        ConsumerOption target = CONSUMER_OPTIONS.get(option);
        if (target == null) {
            throw new InvalidValueException("--consumer-opt", "--consumer-opt " + option + " has no equivalent in"
                    + " nsq-push: allowed " + String.join(", ", CONSUMER_OPTIONS.keySet()));
        }
        if (target.key().equals("nsq.max-in-flight")) {
            maxInFlight = ((Number) Settings.get("nsq.max-in-flight").parser().parse(flag, optionValue)).intValue();
            return;
        }
        if (target.percent()) {
            long percent = Range.whole(0, 99).parse(flag, optionValue);
            optionValue = percent == 0 ? "1.0" : String.valueOf(percent / 100.0);
        }
        if (target.key().equals("camel.component.nsq.compression")) {
            if (Boolean.parseBoolean(optionValue)) {
                overrides.put(target.key(), option);
            }
            return;
        }
        set(flag, target.key(), optionValue);
    }

    private static void checkComponentOption(String flag, String key, String value) {
        String option = camelCase(key.substring("camel.component.nsq.".length()));
        Options.Option declared = NsqConfiguration.OPTIONS.get(option);
        if (declared.range().isPresent()) {
            declared.range().get().parse(flag, value);
        } else if (declared.field().getType() == boolean.class
                && !value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new InvalidValueException(flag, value, "is not a boolean", "true, false");
        }
    }

    private static String header(String flag, String value) {
        int colon = value.indexOf(':');
        if (colon <= 0 || value.substring(colon + 1).isBlank()) {
            // a value without a name may still be a credential (a token pasted without "Authorization:"): not shown
            throw new InvalidValueException(flag, "--header '(not shown: " + value.length()
                    + " characters)' is not a header: allowed 'Name: value'");
        }
        return value.trim();
    }

    private Parsed result() {
        if (!post.isEmpty() && !get.isEmpty()) {
            throw new InvalidValueException("--get", "use --get or --post, not both (as nsq_to_http)");
        }
        if (!nsqd.isEmpty() || !lookupd.isEmpty()) {
            // the address flags name every source, as nsq_to_http's do: the file's other kind is not added
            set("--nsqd-tcp-address", Settings.NSQD, String.join(",", nsqd));
            set("--lookupd-http-address", Settings.LOOKUPD, String.join(",", lookupd));
        }
        if (!post.isEmpty() || !get.isEmpty()) {
            boolean isGet = !get.isEmpty();
            String urls = String.join(",", isGet ? get : post);
            io.nsqpush.push.EndpointUrls.parse(isGet ? "--get" : "--post", urls, isGet);
            overrides.put(Settings.URL, urls);
            overrides.put(Settings.METHOD, isGet ? "GET" : "POST");
        }
        if (!headers.isEmpty()) {
            set("--header", "push.headers", String.join("; ", headers));
        }
        // nsq_to_http: --max-in-flight messages from nsqd, --n of them posted at once
        if (publishers != null) {
            overrides.put("push.concurrency", String.valueOf(publishers));
        }
        if (maxInFlight != null) {
            overrides.put("nsq.max-in-flight", String.valueOf(maxInFlight));
        }
        return new Parsed(action, nsqToHttp ? NSQ_TO_HTTP_DEFAULTS : Map.of(), Map.copyOf(overrides));
    }

    private static String camelCase(String dashed) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : dashed.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static Map<String, ConsumerOption> consumerOptions() {
        Map<String, ConsumerOption> options = new LinkedHashMap<>();
        options.put("max_attempts", new ConsumerOption("nsq.max-attempts", false));
        options.put("max_in_flight", new ConsumerOption("nsq.max-in-flight", false));
        options.put("msg_timeout", new ConsumerOption("nsq.msg-timeout", false));
        options.put("lookupd_poll_interval", new ConsumerOption("nsq.lookupd-poll-interval", false));
        options.put("default_requeue_delay", new ConsumerOption("push.requeue-delay", false));
        options.put("max_requeue_delay", new ConsumerOption("push.max-requeue-delay", false));
        options.put("backoff_multiplier", new ConsumerOption("push.pause", false));
        options.put("max_backoff_duration", new ConsumerOption("push.max-pause", false));
        options.put("sample_rate", new ConsumerOption("push.sample", true));
        options.put("heartbeat_interval", new ConsumerOption("camel.component.nsq.heartbeat-interval", false));
        options.put("dial_timeout", new ConsumerOption("camel.component.nsq.connect-timeout", false));
        options.put("client_id", new ConsumerOption("camel.component.nsq.client-id", false));
        options.put("user_agent", new ConsumerOption("camel.component.nsq.user-agent", false));
        options.put("tls_v1", new ConsumerOption("camel.component.nsq.tls", false));
        options.put("snappy", new ConsumerOption("camel.component.nsq.compression", false));
        options.put("deflate", new ConsumerOption("camel.component.nsq.compression", false));
        options.put("deflate_level", new ConsumerOption("camel.component.nsq.deflate-level", false));
        options.put("output_buffer_timeout", new ConsumerOption("camel.component.nsq.output-buffer-timeout", false));
        options.put("auth_secret", new ConsumerOption("camel.component.nsq.auth-secret", false));
        return options;
    }

    /** @return the flags and settings, for --help (from the same declarations as everything else) */
    static String help() {
        StringBuilder text = new StringBuilder();
        text.append("Usage: ./nsq-push [flags]   (or: java -jar target/nsq-push.jar [flags])\n\n")
                .append("Pushes every message of an NSQ topic's channel to HTTP endpoints. Reads ./application.properties"
                        + " and ./routes/*.yaml;\nflags win over both, over -Dkey=value and over environment variables"
                        + " (NSQ_TOPIC). Go syntax: -flag value,\n--flag=value; durations like 500ms, 2s, 1m30s.\n\n")
                .append("nsq_to_http's flags (with them the defaults are nsq_to_http's: raw body, its content type,"
                        + " 20s timeout):\n");
        flagHelp(text, "--topic", "", "the topic to consume (nsq.topic)");
        flagHelp(text, "--channel", "nsq_to_http", "the channel (nsq.channel)");
        flagHelp(text, "--nsqd-tcp-address", "", "nsqd TCP address, may be given several times");
        flagHelp(text, "--lookupd-http-address", "", "nsqlookupd HTTP address, may be given several times");
        flagHelp(text, "--post", "", "URL to POST every message to, may be given several times");
        flagHelp(text, "--get", "", "URL to GET, %s replaced by the URL-escaped body, may be given several times");
        flagHelp(text, "--content-type", "application/octet-stream", "Content-Type of POSTs");
        flagHelp(text, "--header", "", "'Name: value' added to every request, may be given several times");
        flagHelp(text, "--mode", "hostpool", "round-robin, hostpool or epsilon-greedy (several URLs)");
        flagHelp(text, "--n", "100", "requests at once (with --max-in-flight: the smaller is nsq.max-in-flight)");
        flagHelp(text, "--max-in-flight", "200", "messages from nsqd at once");
        flagHelp(text, "--sample", "1.0", "share of messages to deliver (push.sample)");
        flagHelp(text, "--status-every", "250", "a status line every this many deliveries (status.every)");
        flagHelp(text, "--http-client-connect-timeout", "2s", "push.connect-timeout");
        flagHelp(text, "--http-client-request-timeout", "20s", "push.timeout");
        flagHelp(text, "--consumer-opt", "", "name,value of go-nsq: " + String.join(", ", CONSUMER_OPTIONS.keySet()));
        flagHelp(text, "--version", "", "print the version and exit");
        text.append("\nnsq-push's settings, each also --key=value (application.properties, -Dkey=value and"
                + " KEY_NAME environment variables work too):\n");
        flagHelp(text, "--format", "JSON", "JSON or SIMPLIFIED (push.format)");
        for (Setting setting : Settings.ALL) {
            flagHelp(text, "--" + setting.key(), setting.secret() ? "" : setting.defaultValue(),
                    setting.description() + " Allowed: " + setting.allowed() + ".");
        }
        text.append("\nAny Camel setting, e.g. --camel.main.auto-configuration-log-summary=true (Camel's"
                + " configuration summary at start-up) or --camel.component.nsq.tls=true.\n");
        return text.toString();
    }

    private static void flagHelp(StringBuilder text, String flag, String defaultValue, String description) {
        text.append("  ").append(flag);
        if (!defaultValue.isEmpty()) {
            text.append(" (default ").append(defaultValue).append(")");
        }
        text.append("\n        ").append(description).append('\n');
    }
}
