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
}
