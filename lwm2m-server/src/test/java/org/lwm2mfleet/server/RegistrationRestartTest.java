package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Registrations and observations survive a restart: after it, a device's next Update is accepted (2.04, same
 * registration id, no new registration) and its observation keeps delivering points, and a registration whose
 * lifetime ended while the server was down expires at start, with its event.
 */
class RegistrationRestartTest {

    private static final String SECRET = "registration-restart-test";
    static final String TEMPERATURE = "/3303/0/5700";

    @TempDir
    Path dir;

    @Test
    void registrationsAndObservationsSurviveAGracefulRestart() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            SimulatedDevice plain = startPlain(server, devices, "plain-1");
            SimulatedDevice psk = startPsk(server, devices, "psk-1");
            String plainId = registrationId(server.api(), "plain-1");
            String pskId = registrationId(server.api(), "psk-1");
            observe(server.api(), "plain-1");
            observe(server.api(), "psk-1");
            await().atMost(Duration.ofSeconds(15)).until(() -> pointsSince(server.api(), "plain-1", Instant.EPOCH) >= 1
                    && pointsSince(server.api(), "psk-1", Instant.EPOCH) >= 1);

            server.restart();
            Instant restarted = Instant.now();
            List<FleetEvent> events = new CopyOnWriteArrayList<>();
            server.server().events().subscribe(e -> true, events::add);

            // Known at once, before the devices say anything.
            var leshan = server.server().leshan();
            assertThat(leshan.getRegistrationService().getByEndpoint("plain-1").getId()).isEqualTo(plainId);
            assertThat(leshan.getRegistrationService().getByEndpoint("psk-1").getId()).isEqualTo(pskId);
            assertThat(leshan.getObservationService()
                    .getObservations(leshan.getRegistrationService().getByEndpoint("plain-1"))).hasSize(1);
            RegistryLifecycleTest.awaitStatus(server, "plain-1", "online");
            RegistryLifecycleTest.awaitStatus(server, "psk-1", "online");

            // The PSK device handshakes again (the server kept no DTLS session) and updates on the new session.
            plain.client().triggerRegistrationUpdate();
            psk.client().triggerRegistrationUpdate();
            await().atMost(Duration.ofSeconds(20)).until(() -> updated(events, "plain-1") && updated(events, "psk-1"));
            await().atMost(Duration.ofSeconds(20)).until(() -> pointsSince(server.api(), "plain-1", restarted) >= 2
                    && pointsSince(server.api(), "psk-1", restarted) >= 2);

            assertThat(registrationId(server.api(), "plain-1")).isEqualTo(plainId);
            assertThat(registrationId(server.api(), "psk-1")).isEqualTo(pskId);
            assertThat(plain.registrationCount()).as("the device never registered again").isEqualTo(1);
            assertThat(psk.registrationCount()).as("the device never registered again").isEqualTo(1);
            assertThat(events).noneMatch(e -> EventTypes.REGISTERED.equals(e.type()));
            assertThat(registeredSinceStart(server.api())).isZero();
            // Still one observation each: nothing observed twice (the server did not re-observe on its own).
            assertThat(leshan.getObservationService()
                    .getObservations(leshan.getRegistrationService().getByEndpoint("psk-1"))).hasSize(1);
        }
    }

    @Test
    void aRegistrationWhoseLifetimeEndedWhileTheServerWasDownExpiresAtStart() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"short-1\",\"credentials\":{\"kind\":\"none\"}}");
            SimulatedDevice shortLived = devices.start("short-1", Profile.ENVIRONMENT_SENSOR,
                    server.server().coapUri(), DeviceSecurity.none(), Duration.ofSeconds(3));
            SimulatedDevice kept = startPlain(server, devices, "long-1");
            RegistryLifecycleTest.awaitStatus(server, "short-1", "online");
            String shortId = registrationId(server.api(), "short-1");

            server.restart(() -> {
                // Silent while the server is down (no de-registration), until its lifetime has surely ended.
                shortLived.stop(false);
                Instant end = Instant.now().plusSeconds(4);
                await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(end));
            });

            JsonNode expired = RegistryLifecycleTest.awaitStatus(server, "short-1", "offline");
            assertThat(expired.at("/registration/id").asText()).isEqualTo(shortId);
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("short-1")).isNull();
            assertThat(Metrics.sum(scrapeLines(server.api(), "event=\"expired\""), "lwm2m_registrations_total"))
                    .isEqualTo(1);
            // What expired is gone from the store: the next start does not see it again.
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("long-1")).isNotNull();
            assertThat(kept.registrationCount()).isEqualTo(1);
            server.restart();
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("short-1")).isNull();
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("long-1")).isNotNull();
        }
    }

    @Test
    void anUpdateOfARegistrationTheServerNoLongerKnowsIs404AndTheDeviceRegistersAgain() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            SimulatedDevice device = startPlain(server, devices, "dropped-1");
            String before = registrationId(server.api(), "dropped-1");
            // Removed while the device is silent; the removal is stored, so the restart does not bring it back.
            server.server().leshan().getRegistrationStore().removeRegistration(before);
            server.restart();
            assertThat(server.server().leshan().getRegistrationService().getByEndpoint("dropped-1")).isNull();

            device.client().triggerRegistrationUpdate();
            await().atMost(Duration.ofSeconds(20)).until(() -> device.registrationCount() == 2);
            JsonNode again = RegistryLifecycleTest.awaitStatus(server, "dropped-1", "online");
            assertThat(again.at("/registration/id").asText()).isNotEqualTo(before);
        }
    }

    // ---- helpers, shared with RegistrationCrashTest ----------------------------------------------------------------

    static SimulatedDevice startPlain(TestServer server, Devices devices, String endpoint) {
        Api.Reply created = server.api().post("/api/v1/devices",
                "{\"endpoint\":\"" + endpoint + "\",\"credentials\":{\"kind\":\"none\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        SimulatedDevice device = devices.start(endpoint, Profile.ENVIRONMENT_SENSOR, server.server().coapUri(),
                DeviceSecurity.none());
        RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        return device;
    }

    /** A PSK device that handshakes before each Update, as a device behind a NAT or waking from deep sleep. */
    static SimulatedDevice startPsk(TestServer server, Devices devices, String endpoint) {
        byte[] key = FleetCredentials.pskKey(SECRET, endpoint);
        Devices.provisionPsk(server.api(), endpoint, endpoint, key);
        SimulatedDevice device = devices.started(SimulatedDevice.builder(endpoint, Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.server().coapsUri()).security(DeviceSecurity.psk(endpoint, key))
                .lifetime(Duration.ofSeconds(300)).reconnectOnUpdate(true).build());
        RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        return device;
    }

    static void observe(Api api, String endpoint) {
        Api.Reply observe = api.post("/api/v1/devices/" + endpoint + "/observations",
                "{\"paths\":[\"" + TEMPERATURE + "\"],\"attributes\":{\"pmin\":1,\"pmax\":1}}");
        assertThat(observe.status()).as(observe.text()).isEqualTo(200);
    }

    static String registrationId(Api api, String endpoint) {
        String id = api.get("/api/v1/devices/" + endpoint).json().at("/registration/id").asText();
        assertThat(id).isNotBlank();
        return id;
    }

    /** Points of the observed temperature stored with a time after {@code since}. */
    static long pointsSince(Api api, String endpoint, Instant since) {
        JsonNode series = api.get("/api/v1/devices/" + endpoint + "/telemetry?path=" + TEMPERATURE).json();
        long count = 0;
        for (JsonNode point : series.path("points")) {
            if (Instant.parse(point.get("time").asText()).isAfter(since)) {
                count++;
            }
        }
        return count;
    }

    /** Registrations counted since this server started (its counter starts at 0). */
    static double registeredSinceStart(Api api) {
        return Metrics.sum(scrapeLines(api, "event=\"registered\""), "lwm2m_registrations_total");
    }

    private static String scrapeLines(Api api, String containing) {
        return String.join("\n", api.get("/metrics").text().lines().filter(l -> l.contains(containing)).toList());
    }

    private static boolean updated(List<FleetEvent> events, String endpoint) {
        return events.stream().anyMatch(e -> EventTypes.UPDATED.equals(e.type()) && endpoint.equals(e.endpoint()));
    }
}
