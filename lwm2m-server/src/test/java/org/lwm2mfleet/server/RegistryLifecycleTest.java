package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** De-registration, lifetime expiry, deletion and restart each leave the registry telling the truth. */
class RegistryLifecycleTest {

    private static final String SECRET = "registry-lifecycle-test";

    @TempDir
    Path dir;

    @Test
    void deregistrationAndExpiryMakeDevicesOffline() throws Exception {
        try (TestServer server = TestServer.start(dir,
                c -> c.registrationCleanupPeriod(Duration.ofSeconds(1)));
                Devices devices = new Devices()) {
            Devices.provisionPsk(server.api(), "leaving", "leaving", FleetCredentials.pskKey(SECRET, "leaving"));
            Devices.provisionPsk(server.api(), "vanishing", "vanishing",
                    FleetCredentials.pskKey(SECRET, "vanishing"));
            SimulatedDevice leaving = devices.start("leaving", Profile.WATER_METER, server.server().coapsUri(),
                    DeviceSecurity.psk("leaving", FleetCredentials.pskKey(SECRET, "leaving")));
            SimulatedDevice vanishing = devices.start("vanishing", Profile.WATER_METER, server.server().coapsUri(),
                    DeviceSecurity.psk("vanishing", FleetCredentials.pskKey(SECRET, "vanishing")),
                    Duration.ofSeconds(3));
            awaitStatus(server, "leaving", "online");
            awaitStatus(server, "vanishing", "online");

            leaving.stop(true);
            awaitStatus(server, "leaving", "offline");

            vanishing.stop(false); // no de-registration: only the lifetime ends it
            JsonNode expired = awaitStatus(server, "vanishing", "offline");
            assertThat(expired.at("/registration/lifetime").asInt()).isEqualTo(3);
            assertThat(Metrics.sum(server.api().get("/metrics").text(), "lwm2m_registrations_total"))
                    .isGreaterThanOrEqualTo(4); // 2 registered, 1 deregistered, 1 expired
        }
    }

    @Test
    void restartKeepsDevicesAndCredentials() throws Exception {
        byte[] key = FleetCredentials.pskKey(SECRET, "survivor");
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            Devices.provisionPsk(server.api(), "survivor", "survivor-id", key);
            server.api().post("/api/v1/devices", "{\"endpoint\":\"tagged\",\"tags\":[\"a\",\"b\"],\"label\":\"L\","
                    + "\"credentials\":{\"kind\":\"none\"}}");
            devices.start("survivor", Profile.ELECTRICITY_METER, server.server().coapsUri(),
                    DeviceSecurity.psk("survivor-id", key));
            awaitStatus(server, "survivor", "online");
            JsonNode objectsBefore = server.api().get("/api/v1/devices/survivor").json().at("/registration/objects");
            assertThat(objectsBefore.size()).isGreaterThan(3);

            String registrationId = server.api().get("/api/v1/devices/survivor").json().at("/registration/id")
                    .asText();
            server.restart();

            // The registration was kept across the restart (PersistentRegistrationStore): still online, same id.
            JsonNode survivor = awaitStatus(server, "survivor", "online");
            assertThat(survivor.at("/registration/id").asText()).isEqualTo(registrationId);
            assertThat(survivor.at("/credentials/identity").asText()).isEqualTo("survivor-id");
            assertThat(survivor.at("/registration/lwm2mVersion").asText()).isNotBlank();
            JsonNode tagged = server.api().get("/api/v1/devices/tagged").json();
            assertThat(tagged.get("tags").toString()).isEqualTo("[\"a\",\"b\"]");
            assertThat(tagged.get("label").asText()).isEqualTo("L");

            // The same credentials still open the door after the restart.
            devices.start("survivor", Profile.ELECTRICITY_METER, server.server().coapsUri(),
                    DeviceSecurity.psk("survivor-id", key));
            awaitStatus(server, "survivor", "online");
            // Registered again with the same objects: the registry skips rewriting them, and still has them all.
            assertThat(server.api().get("/api/v1/devices/survivor").json().at("/registration/objects"))
                    .isEqualTo(objectsBefore);
        }
    }

    @Test
    void deletingADeviceDropsItsRegistrationAndCredentials() throws Exception {
        byte[] key = FleetCredentials.pskKey(SECRET, "doomed");
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            Devices.provisionPsk(server.api(), "doomed", "doomed", key);
            SimulatedDevice doomed = devices.start("doomed", Profile.GAS_DETECTOR, server.server().coapsUri(),
                    DeviceSecurity.psk("doomed", key));
            awaitStatus(server, "doomed", "online");

            assertThat(server.api().delete("/api/v1/devices/doomed").status()).isEqualTo(204);

            assertThat(server.api().get("/api/v1/devices/doomed").status()).isEqualTo(404);
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("doomed")).isNull();
            assertThat(server.server().leshan().getSecurityStore().getByEndpoint("doomed")).isNull();
            assertThat(server.server().leshan().getSecurityStore().getByIdentity("doomed")).isNull();
            assertThat(server.api().delete("/api/v1/devices/doomed").status()).isEqualTo(404);
        }
    }

    static JsonNode awaitStatus(TestServer server, String endpoint, String status) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get("/api/v1/devices/" + endpoint)
                .json(), d -> d != null && status.equals(d.path("status").asText()));
    }
}
