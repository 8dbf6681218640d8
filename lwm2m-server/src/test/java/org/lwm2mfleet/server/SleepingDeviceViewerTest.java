package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A viewer creates nothing: reading a sleeping (queue-mode) device leaves no pending operation behind; the answer is
 * a 409 saying the device sleeps, with the newest value it reported, when the server has one. An operator's read
 * still waits for the device as a pending operation.
 */
class SleepingDeviceViewerTest {

    @TempDir
    Path dir;

    @Test
    void aViewerReadingASleepingDeviceGetsTheLastKnownValueAndQueuesNothing() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.queueAwakeTime(Duration.ofSeconds(1)));
                Devices devices = new Devices()) {
            assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"sleepy\",\"credentials\":{\"kind\":"
                    + "\"none\"}}").status()).isEqualTo(201);
            SimulatedDevice sleeper = devices.started(SimulatedDevice.builder("sleepy", Profile.ENVIRONMENT_SENSOR)
                    .serverUri(server.server().coapUri()).security(DeviceSecurity.none())
                    .lifetime(Duration.ofSeconds(120)).queueMode(Duration.ofSeconds(120)).build());
            RegistryLifecycleTest.awaitStatus(server, "sleepy", "sleeping");
            // The device reports its temperature once (LwM2M Send), then goes back to sleep.
            assertThat(sleeper.sendNow(List.of("/3303/0/5700"), Duration.ofSeconds(10))).isTrue();
            JsonNode reported = await().atMost(Duration.ofSeconds(10)).until(
                    () -> latest(server, "/3303/0/5700"), point -> point != null);
            RegistryLifecycleTest.awaitStatus(server, "sleepy", "sleeping");

            Api viewer = server.api().withToken(token(server, "viewer"));
            Api.Reply read = viewer.get("/api/v1/devices/sleepy/objects/3303/0/5700");
            assertThat(read.status()).as(read.text()).isEqualTo(409);
            assertThat(read.contentType()).startsWith("application/problem+json");
            assertThat(read.json().get("type").asText()).isEqualTo("urn:lwm2m-fleet:problem:device-asleep");
            assertThat(read.json().get("detail").asText()).contains("asleep");
            JsonNode known = read.json().get("lastKnown");
            assertThat(known).hasSize(1);
            assertThat(known.get(0).get("path").asText()).isEqualTo("/3303/0/5700");
            assertThat(known.get(0).get("value")).isEqualTo(reported.get("value"));
            assertThat(known.get(0).get("type").asText()).isEqualTo("FLOAT");
            assertThat(Instant.parse(known.get(0).get("time").asText()))
                    .isEqualTo(Instant.parse(reported.get("time").asText()));
            assertThat(known.get(0).get("ageSeconds").asLong()).isBetween(0L, 60L);

            // The instance holds the resource: its read gives it too. A resource never reported: nothing known.
            Api.Reply instance = viewer.get("/api/v1/devices/sleepy/objects/3303/0");
            assertThat(instance.status()).isEqualTo(409);
            assertThat(instance.json().get("lastKnown").findValuesAsText("path")).containsExactly("/3303/0/5700");
            Api.Reply unknown = viewer.get("/api/v1/devices/sleepy/objects/3/0/14");
            assertThat(unknown.status()).isEqualTo(409);
            assertThat(unknown.json().get("lastKnown")).isEmpty();
            assertThat(unknown.json().get("detail").asText()).contains("no reported value");
            Api.Reply composite = viewer.post("/api/v1/devices/sleepy/composite:read",
                    "{\"paths\":[\"/3303/0/5700\",\"/3/0/14\"]}");
            assertThat(composite.status()).as(composite.text()).isEqualTo(409);
            assertThat(composite.json().get("lastKnown").findValuesAsText("path")).containsExactly("/3303/0/5700");
            assertThat(viewer.get("/api/v1/devices/sleepy/objects/3/0/discover").status()).isEqualTo(409);

            // None of that left an operation waiting for the device.
            assertThat(viewer.get("/api/v1/devices/sleepy/pending").json().get("items")).isEmpty();

            // An operator's read still waits for the device to wake.
            Api operator = server.api().withToken(token(server, "operator"));
            Api.Reply queued = operator.get("/api/v1/devices/sleepy/objects/3303/0/5700");
            assertThat(queued.status()).as(queued.text()).isEqualTo(202);
            assertThat(queued.json().get("status").asText()).isEqualTo("pending");
            assertThat(viewer.get("/api/v1/devices/sleepy/pending").json().get("items")).hasSize(1);

            // An observation is not queued: asked of a sleeping device, it is a 409 problem, not a 500.
            Api.Reply observe = operator.post("/api/v1/devices/sleepy/observations",
                    "{\"paths\":[\"/3303/0/5700\"]}");
            assertThat(observe.status()).as(observe.text()).isEqualTo(409);
            assertThat(observe.json().get("detail").asText()).contains("sleeping");
        }
    }

    private static JsonNode latest(TestServer server, String path) {
        for (JsonNode point : server.api().get("/api/v1/devices/sleepy/telemetry/latest").json().get("items")) {
            if (point.get("path").asText().equals(path)) {
                return point;
            }
        }
        return null;
    }

    private static String token(TestServer server, String role) {
        Api.Reply reply = server.api().post("/api/v1/tokens", "{\"name\":\"" + role + "-token\",\"role\":\"" + role
                + "\"}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
        return reply.json().get("token").asText();
    }
}
