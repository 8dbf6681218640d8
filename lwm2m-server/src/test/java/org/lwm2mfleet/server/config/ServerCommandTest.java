package org.lwm2mfleet.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class ServerCommandTest {

    @TempDir
    Path dir;

    private ServerConfig parse(Map<String, String> env, String... args) {
        ServerCommand command = new ServerCommand();
        new CommandLine(command)
                .setDefaultValueProvider(new ConfigDefaultProvider(env, ConfigDefaultProvider.configFileFrom(args, env)))
                .parseArgs(args);
        return command.toConfig();
    }

    @Test
    void defaultsAreTheStandardPorts() {
        ServerConfig config = parse(Map.of());
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.coapPort()).isEqualTo(5683);
        assertThat(config.coapsPort()).isEqualTo(5684);
        assertThat(config.demo()).isFalse();
        assertThat(config.acceptsUnknownCoapDevices()).isFalse();
    }

    @Test
    void commandLineBeatsEnvironmentWhichBeatsConfigFile() throws Exception {
        Path file = dir.resolve("fleet.properties");
        Files.writeString(file, "http-port=1111\ncoap-port=2222\ncoaps-port=3333\ndemo=true\n");
        Map<String, String> env = Map.of("LWM2M_FLEET_COAP_PORT", "4444", "LWM2M_FLEET_COAPS_PORT", "5555");

        ServerConfig config = parse(env, "--config", file.toString(), "--coaps-port", "6666");

        assertThat(config.httpPort()).isEqualTo(1111);
        assertThat(config.coapPort()).isEqualTo(4444);
        assertThat(config.coapsPort()).isEqualTo(6666);
        assertThat(config.demo()).isTrue();
        assertThat(config.acceptsUnknownCoapDevices()).isTrue();
    }

    @Test
    void invalidValuesAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> parse(Map.of(), "--http-port", "70000")).hasMessageContaining("--http-port");
        assertThatThrownBy(() -> parse(Map.of(), "--server-key", "k.pem")).hasMessageContaining("--server-certificate");
        assertThat(parse(Map.of(), "--request-timeout", "PT3S").requestTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void dtlsStateAndConnectionIdOptions() throws Exception {
        ServerConfig defaults = parse(Map.of());
        assertThat(defaults.dtlsStateMaxAge()).isEqualTo(Duration.ofDays(1));
        assertThat(defaults.dtlsCidLength()).isEqualTo(6);
        Path file = dir.resolve("dtls.properties");
        Files.writeString(file, "dtls-state-max-age=PT6H\n");
        checkKeys(Map.of("LWM2M_FLEET_DTLS_CID_LENGTH", "0"), "--config", file.toString());
        ServerConfig config = parse(Map.of("LWM2M_FLEET_DTLS_CID_LENGTH", "0"), "--config", file.toString());
        assertThat(config.dtlsStateMaxAge()).isEqualTo(Duration.ofHours(6));
        assertThat(config.dtlsCidLength()).isZero();
        assertThatThrownBy(() -> parse(Map.of(), "--dtls-cid-length", "2")).hasMessageContaining("--dtls-cid-length");
        assertThatThrownBy(() -> parse(Map.of(), "--dtls-state-max-age", "-PT1H"))
                .hasMessageContaining("--dtls-state-max-age");
    }

    @Test
    void helpListsEveryOption() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new ServerCommand());
        cli.usage(new PrintWriter(out));
        for (var option : cli.getCommandSpec().options()) {
            assertThat(out.toString()).contains(option.longestName());
        }
        assertThat(out.toString()).contains("--http-port", "--coap-port", "--coaps-port", "--data-dir", "--demo",
                "LWM2M_FLEET_");
    }

    private void checkKeys(Map<String, String> env, String... args) {
        ServerCommand command = new ServerCommand();
        ConfigDefaultProvider defaults = new ConfigDefaultProvider(env, ConfigDefaultProvider.configFileFrom(args, env));
        CommandLine cli = new CommandLine(command).setDefaultValueProvider(defaults);
        cli.parseArgs(args);
        defaults.rejectUnknownKeys(cli.getCommandSpec());
    }

    @Test
    void anUnknownKeyInTheConfigFileStopsTheStartNamingIt() throws Exception {
        Path file = dir.resolve("fleet.properties");
        Files.writeString(file, "http-port=1111\nhtp-port=2222\n");

        assertThatThrownBy(() -> checkKeys(Map.of(), "--config", file.toString()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("'htp-port' in config file " + file)
                .hasMessageContaining("did you mean 'http-port'?")
                .hasMessageNotContaining("'http-port' in");
    }

    @Test
    void anUnknownLwm2mFleetVariableStopsTheStartNamingIt() {
        Map<String, String> env = Map.of("LWM2M_FLEET_COAP_PORT", "4444", "LWM2M_FLEET_TELEMETRY_RETENTON", "P1D",
                "LWM2M_FLEET_TOKEN", "a bench token", "PATH", "/usr/bin", "OTHER_FLEET_X", "1");

        assertThatThrownBy(() -> checkKeys(env)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("unknown configuration key: environment variable 'LWM2M_FLEET_TELEMETRY_RETENTON'; did"
                        + " you mean 'LWM2M_FLEET_TELEMETRY_RETENTION'? (see --help for the options)");
    }

    @Test
    void everyOptionIsAKnownKeyInTheFileAndTheEnvironment() throws Exception {
        CommandLine cli = new CommandLine(new ServerCommand());
        StringBuilder file = new StringBuilder();
        Map<String, String> env = new java.util.HashMap<>();
        for (var option : cli.getCommandSpec().options()) {
            String name = option.longestName().substring(2);
            file.append(name).append("=x\n");
            env.put("LWM2M_FLEET_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), "x");
        }
        Path path = dir.resolve("all.properties");
        Files.writeString(path, file);
        ConfigDefaultProvider defaults = new ConfigDefaultProvider(env, path);
        defaults.rejectUnknownKeys(cli.getCommandSpec());
        assertThat(env).containsKey("LWM2M_FLEET_AUDIT_RETENTION");
    }

    @Test
    void auditRetentionDefaultsToAYearAndIsConfigurable() {
        assertThat(parse(Map.of()).access().auditRetention()).isEqualTo(Duration.ofDays(365));
        assertThat(parse(Map.of("LWM2M_FLEET_AUDIT_RETENTION", "P90D")).access().auditRetention())
                .isEqualTo(Duration.ofDays(90));
        assertThatThrownBy(() -> parse(Map.of(), "--audit-retention", "PT1M")).hasMessageContaining("--audit-retention");
    }

    @Test
    void databaseSettingsComeFromFlagsEnvironmentAndConfigFileWithThePasswordFromAFile() throws Exception {
        Path secret = dir.resolve("db-password");
        Files.writeString(secret, "s3cret\n");
        Path file = dir.resolve("fleet.properties");
        Files.writeString(file, "database-url=jdbc:postgresql://127.0.0.1:5432/fleet\ndatabase-pool-size=16\n");

        ServerConfig config = parse(Map.of("LWM2M_FLEET_DATABASE_USER", "fleet"), "--config", file.toString(),
                "--database-password-file", secret.toString());

        assertThat(config.databaseUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/fleet");
        assertThat(config.database().user()).isEqualTo("fleet");
        assertThat(config.database().password()).isEqualTo("s3cret");
        assertThat(config.database().poolSize()).isEqualTo(16);
        assertThat(config.database().toString()).doesNotContain("s3cret");
        assertThat(parse(Map.of("LWM2M_FLEET_DATABASE_PASSWORD", "p")).database().password()).isEqualTo("p");
        assertThat(parse(Map.of()).database()).isEqualTo(DatabaseConfig.defaults());
    }

    @Test
    void databaseSettingsThatCannotWorkAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> parse(Map.of(), "--database-pool-size", "1"))
                .hasMessageContaining("--database-pool-size");
        assertThatThrownBy(() -> parse(Map.of(), "--database-password-file", dir.resolve("missing").toString()))
                .hasMessageContaining("--database-password-file");
        assertThatThrownBy(() -> parse(Map.of(), "--database-password", "a", "--database-password-file",
                dir.resolve("missing").toString())).hasMessageContaining("--database-password-file");
    }
}
