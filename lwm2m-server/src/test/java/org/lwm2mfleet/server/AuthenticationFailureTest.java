package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Devices with wrong credentials are refused, counted, and disturb nobody: a healthy device registered before keeps
 * its registration throughout.
 */
class AuthenticationFailureTest {

    private static final String SECRET = "authentication-failure-test";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices healthy = new Devices();
    static String healthyRegistrationId;
    Devices devices;

    @BeforeAll
    static void startServerWithHealthyDevice() throws Exception {
        server = TestServer.start(dir);
        Devices.provisionPsk(server.api(), "healthy", "healthy", FleetCredentials.pskKey(SECRET, "healthy"));
        Devices.provisionPsk(server.api(), "victim", "victim", FleetCredentials.pskKey(SECRET, "victim"));
        healthy.start("healthy", Profile.ENVIRONMENT_SENSOR, server.server().coapsUri(),
                DeviceSecurity.psk("healthy", FleetCredentials.pskKey(SECRET, "healthy")));
        healthyRegistrationId = await().atMost(Duration.ofSeconds(20))
                .until(() -> device("healthy"), d -> "online".equals(d.path("status").asText()))
                .at("/registration/id").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        healthy.close();
        server.close();
    }

    @BeforeEach
    void devices() {
        devices = new Devices();
    }

    @AfterEach
    void healthyDeviceUndisturbed() {
        devices.close();
        JsonNode device = device("healthy");
        assertThat(device.path("status").asText()).isEqualTo("online");
        assertThat(device.at("/registration/id").asText()).isEqualTo(healthyRegistrationId);
        assertThat(server.api().get("/api/v1/devices/healthy/objects/3/0/0").status()).isEqualTo(200);
    }

    @Test
    void wrongPskKeyIsRefusedAtTheHandshake() {
        double before = metric("lwm2m_dtls_handshake_failures_total");
        SimulatedDevice intruder = devices.start("victim", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.psk("victim", FleetCredentials.pskKey("another secret", "victim")));

        await().atMost(Duration.ofSeconds(20)).until(() -> metric("lwm2m_dtls_handshake_failures_total") > before);
        assertThat(intruder.isRegistered()).isFalse();
        assertThat(device("victim").path("status").asText()).isEqualTo("offline");
    }

    @Test
    void unknownPskIdentityIsRefusedAtTheHandshake() {
        double before = metric("lwm2m_dtls_handshake_failures_total");
        SimulatedDevice stranger = devices.start("stranger", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.psk("stranger", FleetCredentials.pskKey(SECRET, "stranger")));

        await().atMost(Duration.ofSeconds(20)).until(() -> metric("lwm2m_dtls_handshake_failures_total") > before);
        assertThat(stranger.isRegistered()).isFalse();
        assertThat(server.api().get("/api/v1/devices/stranger").status()).isEqualTo(404);
    }

    @Test
    void validCredentialsUnderAnotherEndpointNameAreRefused() {
        double before = metric("lwm2m_registrations_refused_total");
        // The healthy device's own PSK, but registering as "victim".
        SimulatedDevice impostor = devices.start("victim", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.psk("healthy", FleetCredentials.pskKey(SECRET, "healthy")));

        await().atMost(Duration.ofSeconds(20)).until(() -> metric("lwm2m_registrations_refused_total") > before);
        assertThat(impostor.isRegistered()).isFalse();
        assertThat(device("victim").path("status").asText()).isEqualTo("offline");
    }

    @Test
    void unknownDeviceOverPlainCoapIsRefused() {
        double before = metric("lwm2m_registrations_refused_total");
        SimulatedDevice unknown = devices.start("plain-stranger", Profile.GAS_DETECTOR, server.server().coapUri(),
                DeviceSecurity.none());

        await().atMost(Duration.ofSeconds(20)).until(() -> metric("lwm2m_registrations_refused_total") > before);
        assertThat(unknown.isRegistered()).isFalse();
        assertThat(server.api().get("/api/v1/devices/plain-stranger").status()).isEqualTo(404);
    }

    @Test
    void pskDeviceOverPlainCoapIsRefused() {
        double before = metric("lwm2m_registrations_refused_total");
        SimulatedDevice downgraded = devices.start("victim", Profile.GAS_DETECTOR, server.server().coapUri(),
                DeviceSecurity.none());

        await().atMost(Duration.ofSeconds(20)).until(() -> metric("lwm2m_registrations_refused_total") > before);
        assertThat(downgraded.isRegistered()).isFalse();
        assertThat(device("victim").path("status").asText()).isEqualTo("offline");
    }

    static JsonNode device(String endpoint) {
        return server.api().get("/api/v1/devices/" + endpoint).json();
    }

    /** Sum of every sample of a Prometheus metric family, read over HTTP like a scraper would. */
    static double metric(String name) {
        return Metrics.sum(server.api().get("/metrics").text(), name);
    }
}
