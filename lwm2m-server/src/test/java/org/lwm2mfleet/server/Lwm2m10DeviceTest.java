package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

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

/**
 * A real Leshan client registered as LwM2M 1.0: what 1.0 lacks (composite operations, SenML and CBOR formats) is
 * refused at once with 400 naming the version, instead of being sent and waited for; what 1.0 has still works. A 1.1
 * device on the same server still gets its composites.
 */
class Lwm2m10DeviceTest {

    private static final String SECRET = "lwm2m-10-device-test";
    /** Long, so that a refused request waiting for it could not pass for an immediate refusal. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Far below the timeout, far above a loopback round trip. */
    private static final Duration AT_ONCE = Duration.ofSeconds(3);

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.requestTimeout(REQUEST_TIMEOUT));
        for (String endpoint : new String[] { "old-sensor", "new-sensor" }) {
            Devices.provisionPsk(server.api(), endpoint, endpoint, FleetCredentials.pskKey(SECRET, endpoint));
        }
        devices.started(SimulatedDevice.builder("old-sensor", Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.server().coapsUri())
                .security(DeviceSecurity.psk("old-sensor", FleetCredentials.pskKey(SECRET, "old-sensor")))
                .lwm2m10(true).build());
        devices.start("new-sensor", Profile.ENVIRONMENT_SENSOR, server.server().coapsUri(),
                DeviceSecurity.psk("new-sensor", FleetCredentials.pskKey(SECRET, "new-sensor")));
        RegistryLifecycleTest.awaitStatus(server, "old-sensor", "online");
        RegistryLifecycleTest.awaitStatus(server, "new-sensor", "online");
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void registersAsLwm2m10AndAnswersWhat10Has() {
        assertThat(server.api().get("/api/v1/devices/old-sensor").json().at("/registration/lwm2mVersion").asText())
                .isEqualTo("1.0");
        Api.Reply read = server.api().get("/api/v1/devices/old-sensor/objects/3/0/0");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        Api.Reply tlv = server.api().get("/api/v1/devices/old-sensor/objects/3/0?format=tlv");
        assertThat(tlv.status()).as(tlv.text()).isEqualTo(200);
    }

    @Test
    void readCompositeIsRefusedAtOnceNamingTheVersion() {
        Api.Reply reply = timed(() -> server.api().post("/api/v1/devices/old-sensor/composite:read",
                "{\"paths\": [\"/3/0/0\", \"/3/0/1\"]}"));
        assertRefused(reply, "operation", "read-composite");
    }

    @Test
    void writeCompositeIsRefusedAtOnceNamingTheVersion() {
        Api.Reply reply = timed(() -> server.api().post("/api/v1/devices/old-sensor/composite:write",
                "{\"values\": {\"/3/0/14\": \"+01:00\"}}"));
        assertRefused(reply, "operation", "write-composite");
    }

    @Test
    void observeCompositeIsRefusedAtOnceAndNotRemembered() {
        Api.Reply reply = timed(() -> server.api().post("/api/v1/devices/old-sensor/observations",
                "{\"paths\": [\"/3/0/0\", \"/3/0/1\"]}"));
        assertRefused(reply, "operation", "observe-composite");
        assertThat(server.api().get("/api/v1/devices/old-sensor/observations").text()).doesNotContain("/3/0/1");
    }

    @Test
    void senmlFormatsAreRefusedAtOnceNamingTheVersion() {
        assertRefused(timed(() -> server.api().get("/api/v1/devices/old-sensor/objects/3/0/0?format=senml-json")),
                "format", "SENML_JSON");
        assertRefused(timed(() -> server.api().put("/api/v1/devices/old-sensor/objects/3/0/14?format=senml-cbor",
                "{\"value\":\"+02:00\"}")), "format", "SENML_CBOR");
    }

    @Test
    void a11DeviceStillGetsItsComposites() {
        Api.Reply reply = server.api().post("/api/v1/devices/new-sensor/composite:read",
                "{\"paths\": [\"/3/0/0\", \"/3/0/1\"]}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
    }

    private static void assertRefused(Api.Reply reply, String field, String what) {
        assertProblem(reply, 400, field);
        assertThat(reply.json().get("detail").asText()).contains(what).contains("LwM2M 1.0");
    }

    private static Api.Reply timed(java.util.function.Supplier<Api.Reply> call) {
        long start = System.nanoTime();
        Api.Reply reply = call.get();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answered at once, not after the timeout")
                .isLessThan(AT_ONCE);
        return reply;
    }
}
