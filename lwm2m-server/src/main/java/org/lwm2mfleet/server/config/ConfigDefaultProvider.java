package org.lwm2mfleet.server.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Supplies option values that are not on the command line: first from the environment ({@code --http-port} is
 * {@code LWM2M_FLEET_HTTP_PORT}), then from the config file ({@code http-port=...}), else the option's own default.
 */
public final class ConfigDefaultProvider implements IDefaultValueProvider {

    public static final String ENV_PREFIX = "LWM2M_FLEET_";

    private final Map<String, String> environment;
    private final Properties file;

    public ConfigDefaultProvider(Map<String, String> environment, Path configFile) {
        this.environment = environment;
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

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option)) {
            return null;
        }
        String name = option.longestName().replaceFirst("^--", "");
        String fromEnv = environment.get(ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnv != null) {
            return fromEnv;
        }
        String fromFile = file.getProperty(name);
        return fromFile != null ? fromFile.strip() : option.defaultValue();
    }
}
