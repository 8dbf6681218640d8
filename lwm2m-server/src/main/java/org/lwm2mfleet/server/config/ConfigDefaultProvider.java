package org.lwm2mfleet.server.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Supplies option values that are not on the command line: first from the environment ({@code --http-port} is
 * {@code LWM2M_FLEET_HTTP_PORT}), then from the config file ({@code http-port=...}), else the option's own default.
 */
public final class ConfigDefaultProvider implements IDefaultValueProvider {

    public static final String ENV_PREFIX = "LWM2M_FLEET_";
    /** Variables of the same prefix that other tools of the project read: set in a shell, they are not typos. */
    private static final Set<String> OTHER_TOOLS_VARIABLES = Set.of("LWM2M_FLEET_TOKEN");

    private final Map<String, String> environment;
    private final Path configFile;
    private final Properties file;

    public ConfigDefaultProvider(Map<String, String> environment, Path configFile) {
        this.environment = environment;
        this.configFile = configFile;
        this.file = new Properties();
        if (configFile != null) {
            try (Reader reader = Files.newBufferedReader(configFile)) {
                file.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read config file " + configFile, e);
            }
        }
    }

    /** Finds {@code --config FILE} (or {@code --config=FILE}, or the environment's) before picocli parses. */
    public static Path configFileFrom(String[] args, Map<String, String> environment) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String fromEnv = environment.get(ENV_PREFIX + "CONFIG");
        return fromEnv == null ? null : Path.of(fromEnv);
    }

    /**
     * Refuses keys of the config file and {@code LWM2M_FLEET_} variables that name no option of {@code specs}: a
     * misspelt {@code htp-port} would otherwise leave the default in force without a word.
     *
     * @param specs the command that runs (with the server's, for a tool that shares its config file and environment)
     * @throws UnknownConfigKeyException naming every such key, where it was found and the option it may have meant
     */
    public void rejectUnknownKeys(CommandSpec... specs) {
        Set<String> options = new TreeSet<>();
        for (CommandSpec spec : specs) {
            for (OptionSpec option : spec.options()) {
                options.add(option.longestName().replaceFirst("^--", ""));
            }
        }
        List<String> unknown = new ArrayList<>();
        for (String key : new TreeSet<>(file.stringPropertyNames())) {
            if (!options.contains(key)) {
                unknown.add("'" + key + "' in config file " + configFile + suggestion(key, options));
            }
        }
        Set<String> variables = new TreeSet<>();
        options.forEach(o -> variables.add(envName(o)));
        for (String name : new TreeSet<>(environment.keySet())) {
            if (name.startsWith(ENV_PREFIX) && !variables.contains(name) && !OTHER_TOOLS_VARIABLES.contains(name)) {
                unknown.add("environment variable '" + name + "'" + suggestion(name, variables));
            }
        }
        if (!unknown.isEmpty()) {
            throw new UnknownConfigKeyException("unknown configuration key" + (unknown.size() > 1 ? "s" : "") + ": "
                    + String.join("; ", unknown) + " (see --help for the options)");
        }
    }

    /** A key that names no option. */
    public static final class UnknownConfigKeyException extends InvalidConfigException {
        UnknownConfigKeyException(String message) {
            super(message);
        }
    }

    private static String envName(String option) {
        return ENV_PREFIX + option.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The known key nearest to a misspelt one, when it is near enough to be what was meant. */
    private static String suggestion(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 4) ? "; did you mean '" + best + "'?" : "";
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option)) {
            return null;
        }
        String name = option.longestName().replaceFirst("^--", "");
        String fromEnv = environment.get(envName(name));
        if (fromEnv != null) {
            return fromEnv;
        }
        String fromFile = file.getProperty(name);
        return fromFile != null ? fromFile.strip() : option.defaultValue();
    }
}
