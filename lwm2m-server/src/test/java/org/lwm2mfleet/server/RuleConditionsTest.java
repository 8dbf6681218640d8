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
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rules that wait for time (a silent device, a condition that must hold), on a clock the test moves forward instead
 * of waiting; equals and changed; a rule acting on a sleeping device, whose write waits until it wakes.
 */
class RuleConditionsTest {

    @TempDir
    static Path dir;
    static final ShiftableClock clock = new ShiftableClock();
    static TestServer server;
    static Devices devices = new Devices();
    static SimulatedDevice sleeper;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, clock, c -> c.queueAwakeTime(Duration.ofSeconds(1)));
        provision("fan-x", "{\"kind\":\"none\"}", "watched");
        devices.start("fan-x", Profile.VENTILATION_FAN, server.server().coapUri(), DeviceSecurity.none());
        // Provisioned, never connected: as silent as a device gets.
        provision("ghost-1", "{\"kind\":\"none\"}", "watched");
        provision("sleeper-r", "{\"kind\":\"none\"}", "sleepers");
        sleeper = devices.started(SimulatedDevice.builder("sleeper-r", Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.server().coapUri()).security(DeviceSecurity.none())
                .lifetime(Duration.ofSeconds(60)).queueMode(Duration.ofSeconds(3)).build());
        RegistryLifecycleTest.awaitStatus(server, "fan-x", "online");
    }

    private static void provision(String endpoint, String credentials, String tag) {
        Api.Reply reply = server.api().post("/api/v1/devices", "{\"endpoint\":\"" + endpoint + "\",\"tags\":[\""
                + tag + "\"],\"credentials\":" + credentials + "}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void aSilentDeviceRaisesAnAlertAfterTheSilenceAndAReportClearsIt() {
        long id = create("""
                {"name": "silent fans", "trigger": {"path": "/3306/0/5851", "tag": "watched", "condition": "silent",
                  "silentSeconds": 600}, "actions": [{"type": "alert", "severity": "major"}]}""");
        // Five minutes of silence is not yet ten.
        clock.advance(Duration.ofMinutes(5));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> alerts(id, "active").isEmpty());

        clock.advance(Duration.ofMinutes(6));
        JsonNode raised = await().atMost(Duration.ofSeconds(10)).until(() -> alerts(id, "active"),
                items -> items.size() == 2);
        assertThat(raised.findValuesAsText("endpoint")).containsExactlyInAnyOrder("ghost-1", "fan-x");
        assertThat(raised.get(0).get("severity").asText()).isEqualTo("major");

        // fan-x reports again (the rule had the server observe it): its alert clears, the ghost's stays.
        speed(42);
        await().atMost(Duration.ofSeconds(20)).until(() -> alerts(id, "active").findValuesAsText("endpoint")
                .equals(java.util.List.of("ghost-1")));
        assertThat(server.api().delete("/api/v1/rules/" + id).status()).isEqualTo(204);
    }

    @Test
    void aConditionMustHoldForItsMinimumDurationBeforeTheRuleFires() {
        long id = create("""
                {"name": "sustained speed", "trigger": {"path": "/3306/0/5851", "endpoint": "fan-x",
                  "condition": "above", "threshold": 50, "clear": 40, "holdSeconds": 60},
                 "actions": [{"type": "alert"}]}""");
        awaitObserved("fan-x", "/3306/0/5851");
        speed(75);
        await().atMost(Duration.ofSeconds(20)).until(() -> latest("fan-x", "/3306/0/5851") == 75);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> alerts(id, "active").isEmpty());
        clock.advance(Duration.ofSeconds(61));
        await().atMost(Duration.ofSeconds(10)).until(() -> alerts(id, "active").size() == 1);
        assertThat(server.api().delete("/api/v1/rules/" + id).status()).isEqualTo(204);
    }

    @Test
    void equalsFiresOnTheValueAndClearsOnAnyOtherWhileChangedFiresOnEveryChange() {
        long equals = create("""
                {"name": "fan on", "trigger": {"path": "/3306/0/5850", "endpoint": "fan-x", "condition": "equals",
                  "value": true}, "actions": [{"type": "alert", "severity": "info"}]}""");
        long changed = create("""
                {"name": "fan switched", "trigger": {"path": "/3306/0/5850", "endpoint": "fan-x",
                  "condition": "changed"}, "actions": [{"type": "alert", "severity": "minor"}]}""");
        awaitObserved("fan-x", "/3306/0/5850");
        write("fan-x", "/3306/0/5850", "true");
        await().atMost(Duration.ofSeconds(20)).until(() -> alerts(equals, "active").size() == 1);
        write("fan-x", "/3306/0/5850", "false");
        await().atMost(Duration.ofSeconds(20)).until(() -> alerts(equals, "active").isEmpty()
                && alerts(equals, null).size() == 1);
        // Each change is an event: its alert is cleared at once and waits only to be acknowledged.
        await().atMost(Duration.ofSeconds(20)).until(() -> alerts(changed, "unacknowledged").size() >= 1);
        assertThat(alerts(changed, "active")).isEmpty();
        JsonNode firings = server.api().get("/api/v1/rules/" + changed + "/firings").json().get("items");
        assertThat(firings.findValuesAsText("state")).contains("raised");
        server.api().delete("/api/v1/rules/" + equals);
        server.api().delete("/api/v1/rules/" + changed);
    }

    @Test
    void aRuleActingOnASleepingDeviceQueuesTheWriteUntilItWakes() {
        RegistryLifecycleTest.awaitStatus(server, "sleeper-r", "sleeping");
        long id = create("""
                {"name": "tell the sensor", "trigger": {"path": "/3306/0/5851", "endpoint": "fan-x",
                  "condition": "above", "threshold": 90},
                 "actions": [{"type": "write", "tag": "sleepers", "path": "/3/0/14", "value": "+05:00"}]}""");
        awaitObserved("fan-x", "/3306/0/5851");
        speed(10);
        await().atMost(Duration.ofSeconds(20)).until(() -> latest("fan-x", "/3306/0/5851") == 10);
        RegistryLifecycleTest.awaitStatus(server, "sleeper-r", "sleeping");
        speed(95);
        JsonNode firing = await().atMost(Duration.ofSeconds(20)).until(
                () -> server.api().get("/api/v1/rules/" + id + "/firings").json().get("items"),
                items -> items.size() == 1).get(0);
        JsonNode action = firing.get("actions").get(0);
        // Queued (the sensor was asleep), or sent at once if it happened to be awake: either way it lands.
        await().atMost(Duration.ofSeconds(30)).until(() -> "+05:00".equals(sleeper.objects().device().utcOffset()));
        if (action.has("pendingId")) {
            JsonNode pending = server.api().get("/api/v1/operations/" + action.get("pendingId").asLong()).json();
            assertThat(pending.get("requestedBy").asText()).isEqualTo("rule:" + id);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.api().get("/api/v1/devices/sleeper-r/operations")
                .json().get("items").findValuesAsText("requestedBy").contains("rule:" + id));
        server.api().delete("/api/v1/rules/" + id);
    }

    private static long create(String rule) {
        Api.Reply created = server.api().post("/api/v1/rules", rule);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json().get("id").asLong();
    }

    private static JsonNode alerts(long ruleId, String state) {
        return server.api().get("/api/v1/alerts?ruleId=" + ruleId + (state == null ? "" : "&state=" + state)).json()
                .get("items");
    }

    private static void awaitObserved(String endpoint, String path) {
        await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get("/api/v1/devices/" + endpoint
                + "/observations").text().contains(path));
    }

    private static void speed(int percent) {
        write("fan-x", "/3306/0/5851", String.valueOf(percent));
    }

    private static void write(String endpoint, String path, String json) {
        Api.Reply reply = server.api().put("/api/v1/devices/" + endpoint + "/objects" + path.substring(0),
                "{\"value\":" + json + "}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
    }

    private static long latest(String endpoint, String path) {
        JsonNode latest = server.api().get("/api/v1/devices/" + endpoint + "/telemetry/latest").json();
        for (JsonNode point : latest.path("items")) {
            if (point.path("path").asText().equals(path)) {
                return point.path("value").asLong();
            }
        }
        return -1;
    }
}
