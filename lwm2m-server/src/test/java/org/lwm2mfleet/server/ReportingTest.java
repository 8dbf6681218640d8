package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.telemetry.TelemetryWriter;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Observations, Send and the time series they feed, against real simulated devices. */
class ReportingTest {

    private static final String SECRET = "reporting-test";
    private static final String TEMPERATURE = "/3303/0/5700";

    @TempDir
    Path dir;

    @Test
    void observeWithPminPmaxStoresEveryNotificationInOrderAndCancelStopsThem() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            startSensor(server, devices, "obs-1");

            Api.Reply observe = server.api().post("/api/v1/devices/obs-1/observations",
                    "{\"paths\":[\"" + TEMPERATURE + "\"],\"attributes\":{\"pmin\":1,\"pmax\":2}}");
            assertThat(observe.status()).as(observe.text()).isEqualTo(200);
            assertThat(observe.json().at("/current/name").asText()).isEqualTo("Sensor Value");

            // The pace itself (pmin=1, pmax=2) is the device's to keep and is not timed here: what the server owes is
            // that the attributes reached the device and that every notification becomes a point, in order.
            JsonNode series = await().atMost(Duration.ofSeconds(15)).until(() -> series(server, "obs-1"),
                    s -> s.get("points").size() >= 4);
            List<Instant> times = new ArrayList<>();
            series.get("points").forEach(p -> times.add(Instant.parse(p.get("time").asText())));
            assertThat(times).isSorted().doesNotHaveDuplicates();
            assertThat(series.at("/points/0/number").asDouble()).isBetween(-10.0, 40.0);

            JsonNode latest = server.api().get("/api/v1/devices/obs-1/telemetry/latest").json();
            assertThat(latest.get("items").findValuesAsText("path")).contains(TEMPERATURE);
            assertThat(server.api().get("/api/v1/devices/obs-1/observations").json().at("/items/0/attributes")
                    .asText()).isEqualTo("pmin=1&pmax=2");

            Api.Reply cancel = server.api().delete("/api/v1/devices/obs-1/observations?paths=" + TEMPERATURE);
            assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
            int afterCancel = await().atMost(Duration.ofSeconds(5))
                    .until(() -> series(server, "obs-1").get("points").size(), n -> n > 0);
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                    .until(() -> series(server, "obs-1").get("points").size() <= afterCancel + 1);
            assertThat(server.api().get("/api/v1/devices/obs-1/observations").json().get("items").size()).isZero();

            JsonNode log = server.api().get("/api/v1/devices/obs-1/operations").json();
            assertThat(log.get("items").findValuesAsText("operation")).contains("observe", "write-attributes",
                    "cancel-observation");
        }
    }

    @Test
    void observationComesBackAfterAServerRestart() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"restart-1\",\"credentials\":{\"kind\":\"none\"}}");
            devices.start("restart-1", Profile.ENVIRONMENT_SENSOR, server.server().coapUri(), DeviceSecurity.none(),
                    Duration.ofSeconds(4));
            RegistryLifecycleTest.awaitStatus(server, "restart-1", "online");
            assertThat(server.api().post("/api/v1/devices/restart-1/observations",
                    "{\"paths\":[\"" + TEMPERATURE + "\"],\"attributes\":{\"pmin\":1,\"pmax\":1}}").status())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> series(server, "restart-1").get("points").size() >= 1);

            server.restart();
            int before = series(server, "restart-1").get("points").size();

            // The observation was kept with the registration: the notifications go on, nothing is observed twice.
            // A bound, not a pace: on a loaded machine the first notifications after the restart take a while.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> series(server, "restart-1").get("points").size() >= before + 2);
            assertThat(server.server().leshan().getObservationService().getObservations(
                    server.server().leshan().getRegistrationService().getByEndpoint("restart-1"))).hasSize(1);
        }
    }

    @Test
    void sendReportLandsInTheTimeSeries() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            SimulatedDevice sensor = startSensor(server, devices, "send-1");

            assertThat(sensor.sendNow(List.of(TEMPERATURE, "/3304/0/5700"), Duration.ofSeconds(5))).isTrue();

            JsonNode latest = await().atMost(Duration.ofSeconds(5)).until(
                    () -> server.api().get("/api/v1/devices/send-1/telemetry/latest").json(),
                    l -> l.get("items").size() == 2);
            assertThat(latest.get("items").findValuesAsText("path")).containsExactly(TEMPERATURE, "/3304/0/5700");
            assertThat(latest.at("/items/0/type").asText()).isEqualTo("FLOAT");
        }
    }

    @Test
    void aBurstFromManyDevicesIsFullyStoredByTheWriterThread() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            if (!server.onPostgresql()) {
                // (PostgreSQL runs triggers in its own process: which Java thread inserted is not to be seen there.)
                try (var connection = server.connectToDatabase()) {
                    H2ThreadRecorder.install(connection);
                }
            }
            AtomicLong notified = new AtomicLong();
            server.server().events().subscribe(e -> EventTypes.NOTIFICATION.equals(e.type()),
                    e -> notified.addAndGet(((List<?>) e.data().get("points")).size()));
            int count = 12;
            for (int i = 0; i < count; i++) {
                String endpoint = "burst-" + i;
                startSensor(server, devices, endpoint);
                assertThat(server.api().post("/api/v1/devices/" + endpoint + "/observations",
                        "{\"paths\":[\"/3303/0\"],\"attributes\":{\"pmin\":1,\"pmax\":1}}").status()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> notified.get() >= count * 5L * 3);
            for (int i = 0; i < count; i++) {
                server.api().delete("/api/v1/devices/burst-" + i + "/observations?paths=/3303/0");
            }
            // Every notified point is stored: the counts meet once the writer has caught up.
            await().atMost(Duration.ofSeconds(10)).until(() -> stored(server) == notified.get());
            if (!server.onPostgresql()) {
                assertThat(H2ThreadRecorder.INSERTING_THREADS).containsOnly(TelemetryWriter.THREAD_NAME);
            }
        }
    }

    @Test
    void badTelemetryQueriesAre400() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"q-1\",\"credentials\":{\"kind\":\"none\"}}");
            assertProblem(server.api().get("/api/v1/devices/q-1/telemetry"), 400, "path");
            assertProblem(server.api().get("/api/v1/devices/q-1/telemetry?path=/3/0/1&from=yesterday"), 400, "from");
            assertProblem(server.api().get("/api/v1/devices/q-1/telemetry?path=/3/0/1&step=1m"), 400, "step");
            assertProblem(server.api().get("/api/v1/devices/q-1/telemetry?path=/3/0/1&step=PT0.1S"), 400, "step");
            assertProblem(server.api().get("/api/v1/devices/nobody/telemetry/latest"), 404, null);
        }
    }

    private static SimulatedDevice startSensor(TestServer server, Devices devices, String endpoint) {
        return devices.startPsk(server, SECRET, endpoint, Profile.ENVIRONMENT_SENSOR);
    }

    private static JsonNode series(TestServer server, String endpoint) {
        return server.api().get("/api/v1/devices/" + endpoint + "/telemetry?path=" + TEMPERATURE).json();
    }

    private static long stored(TestServer server) {
        return (long) Metrics.sum(server.api().get("/metrics").text(), "telemetry_points_stored_total");
    }
}
