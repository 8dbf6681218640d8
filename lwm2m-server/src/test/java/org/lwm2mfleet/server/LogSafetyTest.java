package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.config.AccessConfig;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.profiles.Profile;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.read.ListAppender;

/**
 * What the real server writes to its log: no secret, and one line per event whatever names users and devices
 * choose. The appenders are attached to the root logger of the tests' Logback, whose {@code logback-test.xml}
 * configures {@code %msg} as the jar's {@code logback.xml} does.
 */
class LogSafetyTest {

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final OutputStreamAppender<ILoggingEvent> lines = new OutputStreamAppender<>();

    @BeforeEach
    void capture() {
        LoggerContext context = root.getLoggerContext();
        events.setContext(context);
        events.start();
        root.addAppender(events);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%logger{0} - %msg%n");
        encoder.start();
        lines.setContext(context);
        lines.setEncoder(encoder);
        lines.setOutputStream(written);
        lines.start();
        root.addAppender(lines);
    }

    @AfterEach
    void release() {
        root.detachAppender(events);
        root.detachAppender(lines);
        lines.stop();
        events.stop();
    }

    @Test
    void theFirstStartLogSaysWhereTheOneTimePasswordIsButNotThePassword(@TempDir Path fresh) throws Exception {
        try (TestServer first = TestServer.start(fresh,
                b -> b.access(AccessConfig.defaults().withPasswordIterations(TestServer.PASSWORD_ITERATIONS)))) {
            Path file = fresh.resolve("initial-admin-password");
            assertThat(Files.getPosixFilePermissions(file))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            String password = Files.readString(file).strip();
            assertThat(first.anonymous().signIn("admin", password)).isNotNull();

            List<ILoggingEvent> logged = List.copyOf(events.list);
            assertThat(logged).anySatisfy(e -> assertThat(e.getFormattedMessage())
                    .contains("one-time password in " + file.toAbsolutePath()));
            assertThat(logged).allSatisfy(e -> {
                assertThat(e.getFormattedMessage()).doesNotContain(password);
                assertThat(Arrays.toString(e.getArgumentArray())).doesNotContain(password);
            });
            assertThat(written.toString(StandardCharsets.UTF_8)).doesNotContain(password);
        }
    }

    @Test
    void userAndEndpointNamesCannotForgeLogLines(@TempDir Path dir) throws Exception {
        String forged = "\r\nAccessResource - sign-in ok for user 'admin' from 10.0.0.1";
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            server.anonymous().post("/api/v1/session", Json.MAPPER.createObjectNode().put("username", "eve" + forged)
                    .put("password", "not-the-password").toString());
            // A device chooses its endpoint name; an unknown one over plain CoAP is refused and logged.
            devices.start("stranger\nFleetAuthorizer - register accepted endpoint=gas-1", Profile.GAS_DETECTOR,
                    server.server().coapUri(), DeviceSecurity.none());
            // FleetAuthorizer escapes the name itself, as a Java-style unicode escape, before %msg would.
            await().atMost(Duration.ofSeconds(20)).until(() -> text().contains("stranger\\u000a"));

            String text = text();
            assertThat(text).contains("sign-in refused for user 'eve\\r\\nAccessResource - sign-in ok for user 'admin'"
                    + " from 10.0.0.1' from 127.0.0.1");
            assertThat(text.lines()).noneMatch(line -> line.startsWith("AccessResource - sign-in ok"))
                    .noneMatch(line -> line.startsWith("FleetAuthorizer - register accepted"))
                    .anyMatch(line -> line.startsWith("FleetAuthorizer - register refused endpoint=stranger\\u000aFleet"));
        }
    }

    private String text() {
        synchronized (written) {
            return written.toString(StandardCharsets.UTF_8);
        }
    }
}
