package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Operations on sleeping (queue-mode) devices wait, run in order when the device wakes, expire, cancel, persist. */
class PendingOperationsTest {

    @TempDir
    Path dir;

    @Test
    void writesToASleepingDeviceRunInOrderWhenItWakesEvenAcrossARestart() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.queueAwakeTime(Duration.ofSeconds(1)));
                Devices devices = new Devices()) {
            SimulatedDevice sleeper = startSleeper(server, devices, "sleeper-1", Duration.ofSeconds(4));
            RegistryLifecycleTest.awaitStatus(server, "sleeper-1", "sleeping");

            Api.Reply first = server.api().put("/api/v1/devices/sleeper-1/objects/3/0/14", "{\"value\":\"+03:00\"}");
            assertThat(first.status()).as(first.text()).isEqualTo(202);
            assertThat(first.json().get("status").asText()).isEqualTo("pending");
            Api.Reply second = server.api().put("/api/v1/devices/sleeper-1/objects/3/0/14", "{\"value\":\"+04:00\"}");
            assertThat(second.status()).isEqualTo(202);
            long firstId = first.json().get("id").asLong();
            long secondId = second.json().get("id").asLong();
            assertThat(server.api().get("/api/v1/devices/sleeper-1/pending").json().get("items").size()).isEqualTo(2);

            // They survive a restart of the server.
            server.restart();
            assertThat(server.api().get("/api/v1/operations/" + firstId).json().get("status").asText())
                    .isEqualTo("pending");

            JsonNode done = await().atMost(Duration.ofSeconds(30)).until(
                    () -> server.api().get("/api/v1/operations/" + secondId).json(),
                    op -> "succeeded".equals(op.get("status").asText()));
            JsonNode firstDone = server.api().get("/api/v1/operations/" + firstId).json();
            assertThat(firstDone.get("status").asText()).isEqualTo("succeeded");
            assertThat(Instant.parse(firstDone.get("completedAt").asText()))
                    .isBeforeOrEqualTo(Instant.parse(done.get("completedAt").asText()));
            // In order: the second write is the one that stuck.
            assertThat(sleeper.objects().device().utcOffset()).isEqualTo("+04:00");
        }
    }

    @Test
    void aPendingOperationExpiresWithItsReasonAndCanBeCancelled() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.queueAwakeTime(Duration.ofSeconds(1)));
                Devices devices = new Devices()) {
            startSleeper(server, devices, "sleeper-2", Duration.ofSeconds(60));
            RegistryLifecycleTest.awaitStatus(server, "sleeper-2", "sleeping");

            Api.Reply expiring = server.api().post("/api/v1/devices/sleeper-2/objects/3/0/4/execute?expiresIn=PT1S",
                    "");
            assertThat(expiring.status()).as(expiring.text()).isEqualTo(202);
            JsonNode failed = await().atMost(Duration.ofSeconds(10)).until(
                    () -> server.api().get("/api/v1/operations/" + expiring.json().get("id").asLong()).json(),
                    op -> "failed".equals(op.get("status").asText()));
            assertThat(failed.get("failure").asText()).startsWith("expired");

            Api.Reply cancelled = server.api().put("/api/v1/devices/sleeper-2/objects/3/0/15",
                    "{\"value\":\"UTC\"}");
            long id = cancelled.json().get("id").asLong();
            assertThat(server.api().delete("/api/v1/operations/" + id).json().get("status").asText())
                    .isEqualTo("cancelled");
            assertProblem(server.api().delete("/api/v1/operations/" + id), 409, null);
            assertProblem(server.api().get("/api/v1/operations/999999"), 404, null);

            // A firmware update does not start on a sleeping device (a campaign waits for it to wake).
            long imageId = CampaignTest.upload(server, "sleep-fw", "1.1.0", 1_000);
            Api.Reply update = server.api().post("/api/v1/devices/sleeper-2/firmware-updates",
                    "{\"imageId\":" + imageId + "}");
            assertProblem(update, 409, null);
            assertThat(update.json().get("detail").asText()).contains("asleep");

            // A path outside the model is refused at once, not stored.
            assertProblem(server.api().put("/api/v1/devices/sleeper-2/objects/3/0/9999", "{\"value\":1}"), 400,
                    "path");
        }
    }

    private static SimulatedDevice startSleeper(TestServer server, Devices devices, String endpoint,
            Duration wakeInterval) {
        assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"" + endpoint
                + "\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
        return devices.started(SimulatedDevice.builder(endpoint, Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.server().coapUri()).security(DeviceSecurity.none()).lifetime(Duration.ofSeconds(60))
                .queueMode(wakeInterval).build());
    }
}
