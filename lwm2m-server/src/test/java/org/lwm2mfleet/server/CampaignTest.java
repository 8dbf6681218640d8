package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.FleetSpec;
import org.lwm2mfleet.sim.fleet.SecurityMode;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.fleet.SimulatedFleet;
import org.lwm2mfleet.sim.objects.FirmwareFailure;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** A staged campaign over a real simulated fleet: concurrency, automatic pause on failures, resume, finish. */
class CampaignTest {

    private static final String SECRET = "campaign-test";

    @TempDir
    Path dir;

    @Test
    void fiftyDevicesWithConcurrencyFivePauseOnFailuresAndFinishAfterResume() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            int count = 50;
            StringBuilder csv = new StringBuilder("endpoint,kind,identity,key,tags\n");
            for (int n = 1; n <= count; n++) {
                String endpoint = String.format("camp-%02d", n);
                csv.append(endpoint).append(",psk,").append(endpoint).append(',')
                        .append(Devices.hex(FleetCredentials.pskKey(SECRET, endpoint))).append(",campaign\n");
            }
            assertThat(server.api().post("/api/v1/devices:bulk", "text/csv", csv.toString()).json().get("created")
                    .asInt()).isEqualTo(count);
            long imageId = upload(server, "camp-fw", "5.0.0", 8_000);

            try (SimulatedFleet fleet = SimulatedFleet.create(new FleetSpec(server.server().coapsUri(), "camp-%02d",
                    count, List.of(Profile.GAS_DETECTOR), SecurityMode.PSK, SECRET, null, null,
                    Duration.ofMinutes(5), Duration.ofSeconds(1), 1, null, null,
                    // Eight devices will fail to install: more than the 10 % failure threshold (5 devices).
                    new org.lwm2mfleet.sim.fleet.FailureInjection(FirmwareFailure.UPDATE_FAILED, 0,
                            Set.of("camp-21", "camp-22", "camp-23", "camp-24", "camp-25", "camp-26", "camp-27",
                                    "camp-28"))))) {
                List<SimulatedDevice> failing = fleet.devices().subList(20, 28);
                fleet.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> fleet.registeredCount() == count);

                // Count the updates under way each time one starts (a trigger in the inserting transaction).
                ActiveUpdatesRecorder.install(server);

                Api.Reply created = server.api().post("/api/v1/campaigns", "{\"name\":\"spring\",\"imageId\":"
                        + imageId + ",\"tag\":\"campaign\",\"concurrency\":5,\"stages\":[10,100],"
                        + "\"successThreshold\":0.9,\"failureThreshold\":0.1,\"maxAttempts\":1,\"retryBackoff\":\"PT1S\"}");
                assertThat(created.status()).as(created.text()).isEqualTo(201);
                long id = created.json().at("/campaign/id").asLong();

                JsonNode paused = await().atMost(Duration.ofSeconds(90)).until(
                        () -> server.api().get("/api/v1/campaigns/" + id).json(),
                        c -> "paused".equals(c.at("/campaign/status").asText()));
                assertThat(paused.at("/campaign/pausedReason").asText()).contains("failure threshold");
                assertThat(paused.at("/counts/failed").asInt()).isGreaterThan(5);
                assertThat(paused.get("failures").findValuesAsText("reason"))
                        .allSatisfy(reason -> assertThat(reason).contains("Update Result 8"));

                failing.forEach(d -> d.firmware().injectFailure(FirmwareFailure.NONE));
                assertThat(server.api().post("/api/v1/campaigns/" + id + ":resume", "").status()).isEqualTo(200);

                JsonNode finished = await().atMost(Duration.ofSeconds(120)).until(
                        () -> server.api().get("/api/v1/campaigns/" + id).json(),
                        c -> "finished".equals(c.at("/campaign/status").asText()));
                assertThat(finished.at("/counts/succeeded").asInt()).isEqualTo(count);
                assertThat(ActiveUpdatesRecorder.maxActive(server)).isBetween(2, 5);
                assertThat(fleet.devices()).allSatisfy(d -> assertThat(d.objects().device().firmwareVersion())
                        .isEqualTo("5.0.0"));
            }
        }
    }

    @Test
    void aRestartedServerFinishesTheCampaignWithoutUpdatingFinishedDevicesAgain() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.firmwareStallTimeout(Duration.ofSeconds(8)))) {
            int count = 10;
            StringBuilder csv = new StringBuilder("endpoint,kind,tags\n");
            for (int n = 1; n <= count; n++) {
                csv.append(String.format("again-%02d", n)).append(",none,again\n");
            }
            server.api().post("/api/v1/devices:bulk", "text/csv", csv.toString());
            long imageId = upload(server, "again-fw", "6.0.0", 4_000);
            // Plain CoAP and a short lifetime: after the restart the devices find out quickly and register again.
            try (SimulatedFleet fleet = SimulatedFleet.create(new FleetSpec(server.server().coapUri(), "again-%02d",
                    count, List.of(Profile.WATER_METER), SecurityMode.NONE, null, null, null, Duration.ofSeconds(6),
                    Duration.ofMillis(500), 2, null, null, null))) {
                fleet.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> fleet.registeredCount() == count);
                long id = server.api().post("/api/v1/campaigns", "{\"name\":\"again\",\"imageId\":" + imageId
                        + ",\"tag\":\"again\",\"concurrency\":2,\"maxAttempts\":5,\"retryBackoff\":\"PT1S\"}")
                        .json().at("/campaign/id").asLong();

                await().atMost(Duration.ofSeconds(60)).until(() -> server.api().get("/api/v1/campaigns/" + id)
                        .json().at("/counts/succeeded").asInt() >= 3);
                server.restart();
                List<String> doneBefore = server.api().get("/api/v1/campaigns/" + id + "/devices").json()
                        .findParents("status").stream().filter(d -> "succeeded".equals(d.get("status").asText()))
                        .map(d -> d.get("endpoint").asText()).toList();
                assertThat(doneBefore).hasSizeGreaterThanOrEqualTo(3);

                JsonNode finished = await().atMost(Duration.ofSeconds(120)).until(
                        () -> server.api().get("/api/v1/campaigns/" + id).json(),
                        c -> "finished".equals(c.at("/campaign/status").asText()));
                assertThat(finished.at("/counts/succeeded").asInt()).isEqualTo(count);
                for (String endpoint : doneBefore) {
                    assertThat(server.api().get("/api/v1/devices/" + endpoint + "/firmware-updates").json()
                            .get("items").size()).as(endpoint).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void targetsByModelAndVersionAndRefusesBadRequests() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            for (var device : List.of(new Object[] { "inv-meter", Profile.ELECTRICITY_METER },
                    new Object[] { "inv-fan", Profile.VENTILATION_FAN })) {
                String endpoint = (String) device[0];
                byte[] key = FleetCredentials.pskKey(SECRET, endpoint);
                Devices.provisionPsk(server.api(), endpoint, endpoint, key);
                devices.start(endpoint, (Profile) device[1], server.server().coapsUri(),
                        org.lwm2mfleet.sim.fleet.DeviceSecurity.psk(endpoint, key));
            }
            JsonNode versions = await().atMost(Duration.ofSeconds(20)).until(
                    () -> server.api().get("/api/v1/firmware/versions").json(), v -> v.get("items").size() == 2);
            assertThat(versions.get("items").findValuesAsText("model")).containsExactly("SIM-EM-1", "SIM-FAN-1");
            assertThat(versions.get("items").findValuesAsText("version")).containsOnly("1.0.0");

            long imageId = upload(server, "inv-fw", "7.0.0", 2_000);
            // A window around now (UTC), which may run over midnight.
            java.time.LocalTime now = java.time.LocalTime.now(java.time.ZoneOffset.UTC).withSecond(0).withNano(0);
            Api.Reply created = server.api().post("/api/v1/campaigns", "{\"name\":\"fans\",\"imageId\":" + imageId
                    + ",\"model\":\"SIM-FAN-1\",\"firmwareVersion\":\"1.0.0\",\"window\":{\"start\":\""
                    + now.minusHours(1) + "\",\"end\":\"" + now.plusHours(1) + "\"}}");
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            long id = created.json().at("/campaign/id").asLong();
            assertThat(server.api().get("/api/v1/campaigns/" + id + "/devices").json().get("items")
                    .findValuesAsText("endpoint")).containsExactly("inv-fan");

            DeviceOperationsTest.assertProblem(server.api().post("/api/v1/campaigns",
                    "{\"name\":\"x\",\"imageId\":" + imageId + ",\"model\":\"TOASTER\"}"), 400, "model");
            DeviceOperationsTest.assertProblem(server.api().post("/api/v1/campaigns",
                    "{\"name\":\"x\",\"imageId\":" + imageId + ",\"tag\":\"t\",\"stages\":[50,10]}"), 400,
                    "stages");
            DeviceOperationsTest.assertProblem(server.api().post("/api/v1/campaigns",
                    "{\"name\":\"x\",\"imageId\":999,\"tag\":\"t\"}"), 404, null);
            DeviceOperationsTest.assertProblem(server.api().post("/api/v1/campaigns",
                    "{\"name\":\"x\",\"imageId\":" + imageId + ",\"tag\":\"t\",\"colour\":1}"), 400, "colour");
            await().atMost(Duration.ofSeconds(30)).until(() -> "finished".equals(
                    server.api().get("/api/v1/campaigns/" + id).json().at("/campaign/status").asText()));
            assertThat(server.api().get("/api/v1/firmware/versions").json().get("items").findValuesAsText("version"))
                    .contains("7.0.0");
        }
    }

    static long upload(TestServer server, String name, String version, int size) throws Exception {
        byte[] image = new byte[size];
        new java.util.Random(size).nextBytes(image);
        HttpRequest request = server.api().request("/api/v1/firmware?name=" + name + "&version="
                + version).header("Content-Type", "application/octet-stream").POST(BodyPublishers.ofByteArray(image))
                .build();
        return Json.MAPPER.readTree(server.api().http().send(request, BodyHandlers.ofString()).body()).get("id")
                .asLong();
    }
}
