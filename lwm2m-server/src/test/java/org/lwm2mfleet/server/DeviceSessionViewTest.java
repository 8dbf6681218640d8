package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.leshan.core.ResponseCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 18's operator view: a device's page says how its DTLS session was established (full handshake, or restored
 * from the state saved at a graceful stop), and the fleet stats count new registrations and full handshakes per
 * minute, so that a reconnect storm shows.
 */
class DeviceSessionViewTest {

    private static final String SECRET = "session-view-test";

    @TempDir
    Path dir;
    Devices devices;

    @BeforeEach
    void devices() {
        devices = new Devices();
    }

    @AfterEach
    void stopDevices() {
        devices.close();
    }

    @Test
    void aHandshakeIsShownAndCountedAndAGracefulRestartRestoresTheSession() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"))) {
            SimulatedDevice device = devices.startPsk(server, SECRET, "session-1", Profile.WATER_METER);
            RegistryLifecycleTest.awaitStatus(server, device.endpoint(), "online");

            JsonNode session = server.api().get("/api/v1/devices/session-1").json().path("session");
            assertThat(session.path("kind").asText()).isEqualTo("full-handshake");
            assertThat(Instant.parse(session.path("since").asText())).isBefore(Instant.now().plusSeconds(1));
            // Over the last two minutes, so that a minute boundary during the test does not matter.
            JsonNode minutes = perMinute(server, 2);
            assertThat(minutes.size()).isEqualTo(2);
            assertThat(Instant.parse(minutes.get(1).path("from").asText()))
                    .as("the current minute comes last").isAfter(Instant.now().minusSeconds(61));
            assertThat(sum(minutes, "registrations")).isEqualTo(1);
            assertThat(sum(minutes, "fullHandshakes")).isEqualTo(1);

            server.restart();
            assertThat(server.api().get("/api/v1/devices/session-1").json().path("session").isNull())
                    .as("nothing sent since the restart: no session known yet").isTrue();

            CompletableFuture<ResponseCode> answer = DtlsStateTest.nextUpdateAnswer(device);
            device.client().triggerRegistrationUpdate();
            assertThat(answer.get(20, TimeUnit.SECONDS)).as("registration kept, session kept")
                    .isEqualTo(ResponseCode.CHANGED);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.api()
                    .get("/api/v1/devices/session-1").json().path("session").path("kind").asText())
                    .isEqualTo("restored"));
            JsonNode after = perMinute(server, 2);
            assertThat(sum(after, "fullHandshakes")).as("no handshake after a graceful restart").isZero();
            assertThat(sum(after, "registrations")).as("no re-registration").isZero();
            assertThat(DtlsStateTest.handshakes(server)).isZero();
        }
    }

    @Test
    void aResumptionIsShownAsResumedAndOneTheServerCannotResumeAsAFullHandshake() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"))) {
            byte[] key = org.lwm2mfleet.sim.fleet.FleetCredentials.pskKey(SECRET, "resume-1");
            Devices.provisionPsk(server.api(), "resume-1", "resume-1", key);
            // Leshan's client resumes its session before each Update.
            SimulatedDevice device = devices.started(SimulatedDevice.builder("resume-1", Profile.WATER_METER)
                    .serverUri(server.server().coapsUri())
                    .security(org.lwm2mfleet.sim.fleet.DeviceSecurity.psk("resume-1", key))
                    .reconnectOnUpdate(true).build());
            RegistryLifecycleTest.awaitStatus(server, "resume-1", "online");

            update(device);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(kind(server, "resume-1"))
                    .isEqualTo("resumed"));
            assertThat(handshakes(server, "resumption")).isEqualTo(1);
            assertThat(handshakes(server, "full")).isEqualTo(1);

            // The saved sessions are discarded at start: the device's resumption falls back to a full handshake.
            server.restart(c -> c.dtlsStateMaxAge(Duration.ZERO));
            update(device);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(kind(server, "resume-1"))
                    .isEqualTo("full-handshake"));
            assertThat(handshakes(server, "full")).as("counted as full, not as the resumption it was offered")
                    .isEqualTo(1);
            assertThat(handshakes(server, "resumption")).isZero();
            assertThat(sum(perMinute(server, 2), "fullHandshakes")).isEqualTo(1);
        }
    }

    private static void update(SimulatedDevice device) throws Exception {
        CompletableFuture<ResponseCode> answer = DtlsStateTest.nextUpdateAnswer(device);
        device.client().triggerRegistrationUpdate();
        assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo(ResponseCode.CHANGED);
    }

    private static String kind(TestServer server, String endpoint) {
        return server.api().get("/api/v1/devices/" + endpoint).json().path("session").path("kind").asText();
    }

    /** {@code lwm2m_dtls_handshakes_total{kind}} of the running server. */
    private static double handshakes(TestServer server, String kind) {
        double sum = 0;
        for (String line : server.api().get("/metrics").text().split("\n")) {
            if (line.startsWith("lwm2m_dtls_handshakes_total{") && line.contains("kind=\"" + kind + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void theNumberOfMinutesIsChecked() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"))) {
            for (String minutes : new String[] {"0", "61"}) {
                Api.Reply refused = server.api().get("/api/v1/fleet/stats?minutes=" + minutes);
                assertThat(refused.status()).isEqualTo(400);
                assertThat(refused.json().path("field").asText()).isEqualTo("minutes");
            }
            assertThat(perMinute(server, 60).size()).isEqualTo(60);
            assertThat(server.api().get("/api/v1/fleet/stats").json().path("perMinute").path("minutes").size())
                    .as("15 minutes unless asked").isEqualTo(15);
        }
    }

    private static JsonNode perMinute(TestServer server, int minutes) {
        Api.Reply reply = server.api().get("/api/v1/fleet/stats?minutes=" + minutes);
        assertThat(reply.status()).isEqualTo(200);
        return reply.json().path("perMinute").path("minutes");
    }

    private static long sum(JsonNode minutes, String field) {
        long sum = 0;
        for (JsonNode minute : minutes) {
            sum += minute.path(field).asLong();
        }
        return sum;
    }
}
