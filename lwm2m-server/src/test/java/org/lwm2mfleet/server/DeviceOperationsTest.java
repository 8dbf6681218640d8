package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Read, write and execute on real simulated devices, and every way such a request can fail. */
class DeviceOperationsTest {

    private static final String SECRET = "device-operations-test";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();
    static SimulatedDevice fan;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.requestTimeout(Duration.ofSeconds(2)));
        for (String endpoint : new String[] { "fan-1", "silent-1", "asleep-1" }) {
            Devices.provisionPsk(server.api(), endpoint, endpoint, FleetCredentials.pskKey(SECRET, endpoint));
        }
        fan = devices.start("fan-1", Profile.VENTILATION_FAN, server.server().coapsUri(),
                DeviceSecurity.psk("fan-1", FleetCredentials.pskKey(SECRET, "fan-1")));
        awaitStatus("fan-1", "online");
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void writeThenReadBackAWritableResource() {
        Api.Reply write = server.api().put("/api/v1/devices/fan-1/objects/3/0/14", "{\"value\":\"+02:00\"}");
        assertThat(write.status()).as(write.text()).isEqualTo(200);

        Api.Reply read = server.api().get("/api/v1/devices/fan-1/objects/3/0/14");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        assertThat(read.json().get("value").asText()).isEqualTo("+02:00");
        assertThat(read.json().get("name").asText()).isEqualTo("UTC Offset");
        assertThat(read.json().get("type").asText()).isEqualTo("STRING");
    }

    @Test
    void writeSeveralResourcesOfAnInstance() {
        Api.Reply write = server.api().put("/api/v1/devices/fan-1/objects/3/0?mode=partial",
                "{\"resources\":[{\"id\":14,\"value\":\"+05:30\"},{\"id\":15,\"value\":\"Asia/Kolkata\"}]}");
        assertThat(write.status()).as(write.text()).isEqualTo(200);

        JsonNode instance = server.api().get("/api/v1/devices/fan-1/objects/3/0").json();
        assertThat(Resources.byPath(instance, "/3/0/14").get("value").asText()).isEqualTo("+05:30");
        assertThat(Resources.byPath(instance, "/3/0/15").get("value").asText()).isEqualTo("Asia/Kolkata");
    }

    @Test
    void executeRebootMakesTheDeviceRegisterAgain() {
        String before = device("fan-1").at("/registration/id").asText();
        int registrations = fan.registrationCount();

        Api.Reply execute = server.api().post("/api/v1/devices/fan-1/objects/3/0/4/execute", "");
        assertThat(execute.status()).as(execute.text()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(20)).until(() -> fan.registrationCount() > registrations);
        await().atMost(Duration.ofSeconds(10)).until(() -> device("fan-1"),
                d -> "online".equals(d.path("status").asText()) && !before.equals(d.at("/registration/id").asText()));
    }

    @Test
    void pathOutsideTheModelIs400() {
        assertProblem(server.api().get("/api/v1/devices/fan-1/objects/3/0/9999"), 400, "path");
        assertProblem(server.api().get("/api/v1/devices/fan-1/objects/32000"), 400, "path");
        assertProblem(server.api().get("/api/v1/devices/fan-1/objects/not/a/path"), 400, "path");
    }

    @Test
    void writeCheckedAgainstTheModelBeforeSending() {
        assertProblem(server.api().put("/api/v1/devices/fan-1/objects/3/0/0", "{\"value\":\"x\"}"), 400, "path");
        assertProblem(server.api().put("/api/v1/devices/fan-1/objects/3/0/14", "{\"value\":42}"), 400, "value");
        assertProblem(server.api().put("/api/v1/devices/fan-1/objects/3/0/14", "{\"value\":"), 400, "body");
        assertProblem(server.api().post("/api/v1/devices/fan-1/objects/3/0/0/execute", ""), 400, "path");
    }

    @Test
    void unregisteredDeviceIs409AndUnknownDeviceIs404() {
        assertProblem(server.api().get("/api/v1/devices/asleep-1/objects/3/0"), 409, null);
        assertProblem(server.api().get("/api/v1/devices/nobody/objects/3/0"), 404, null);
    }

    @Test
    void deviceThatStopsAnsweringTimesOutWith504() {
        SimulatedDevice silent = devices.start("silent-1", Profile.ENVIRONMENT_SENSOR, server.server().coapsUri(),
                DeviceSecurity.psk("silent-1", FleetCredentials.pskKey(SECRET, "silent-1")));
        awaitStatus("silent-1", "online");
        silent.stop(false); // gone without de-registering: the server still believes it is there

        assertProblem(server.api().get("/api/v1/devices/silent-1/objects/3/0"), 504, null);
    }

    static void assertProblem(Api.Reply reply, int status, String field) {
        assertThat(reply.status()).as(reply.text()).isEqualTo(status);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("status").asInt()).isEqualTo(status);
        assertThat(reply.json().get("type").asText()).startsWith("urn:lwm2m-fleet:problem:");
        assertThat(reply.json().get("detail").asText()).isNotBlank();
        if (field != null) {
            assertThat(reply.json().path("field").asText()).isEqualTo(field);
        }
    }

    static JsonNode device(String endpoint) {
        return server.api().get("/api/v1/devices/" + endpoint).json();
    }

    static void awaitStatus(String endpoint, String status) {
        await().atMost(Duration.ofSeconds(20)).until(() -> device(endpoint),
                d -> d != null && status.equals(d.path("status").asText()));
    }
}
