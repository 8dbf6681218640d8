package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.objects.FanObjects;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rules over real devices: one fan's reported speed switches the fans tagged "vent" on above 50 % and off only below
 * 20 %, so values inside the band change nothing.
 */
class RulesTest {

    private static final String SECRET = "rules-secret";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();
    static SimulatedDevice b;
    static SimulatedDevice c;

    @BeforeAll
    static void start() throws Exception {
        // Its webhook receivers listen on 127.0.0.1, which only this option lets a webhook call.
        server = TestServer.start(dir, c -> c.webhookRetryDelay(Duration.ofMillis(200)).webhookAllowPrivate(true));
        devices.startPsk(server, SECRET, "fan-a", Profile.VENTILATION_FAN);
        b = startTagged("fan-b");
        c = startTagged("fan-c");
    }

    private static SimulatedDevice startTagged(String endpoint) {
        byte[] key = FleetCredentials.pskKey(SECRET, endpoint);
        Api.Reply reply = server.api().post("/api/v1/devices", "{\"endpoint\":\"" + endpoint + "\",\"tags\":[\"vent\"],"
                + "\"credentials\":{\"kind\":\"psk\",\"identity\":\"" + endpoint + "\",\"key\":\"" + Devices.hex(key)
                + "\"}}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
        SimulatedDevice device = devices.start(endpoint, Profile.VENTILATION_FAN, server.server().coapsUri(),
                DeviceSecurity.psk(endpoint, key));
        RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        return device;
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void aRuleSwitchesTaggedFansOnAboveTheThresholdAndOffOnlyBelowTheClearLevel() {
        Api.Reply created = server.api().post("/api/v1/rules", """
                {"name": "ventilate", "trigger": {"path": "/3306/0/5851", "endpoint": "fan-a", "condition": "above",
                  "threshold": 50, "clear": 20},
                 "actions": [{"type": "write", "tag": "vent", "path": "/3306/0/5850", "value": true,
                  "clearValue": false}]}""");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        long id = created.json().get("id").asLong();
        // The rule needs fan-a's speed reported, so the server observes it by itself.
        await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get("/api/v1/devices/fan-a/observations")
                .text().contains("/3306/0/5851"));

        speed(80);
        await().atMost(Duration.ofSeconds(20)).until(() -> fanOn(b) && fanOn(c));

        // Inside the band: reported (the telemetry has it) but nothing switches.
        speed(35);
        await().atMost(Duration.ofSeconds(20)).until(() -> latestSpeed() == 35);
        speed(60);
        await().atMost(Duration.ofSeconds(20)).until(() -> latestSpeed() == 60);
        assertThat(firings(id)).hasSize(1);
        assertThat(fanOn(b) && fanOn(c)).isTrue();

        speed(10);
        await().atMost(Duration.ofSeconds(20)).until(() -> !fanOn(b) && !fanOn(c));
        JsonNode firings = firings(id);
        assertThat(firings).hasSize(2);
        assertThat(firings.get(0).get("state").asText()).isEqualTo("cleared");
        assertThat(firings.get(1).get("state").asText()).isEqualTo("raised");
        assertThat(firings.get(1).get("value").asDouble()).isEqualTo(80.0);
        assertThat(firings.get(1).get("actions").toString()).contains("fan-b/3306/0/5850", "fan-c/3306/0/5850");
        // Done like a person's request, and known to be the rule's: in the operation log and the audit log.
        await().atMost(Duration.ofSeconds(10)).until(() -> firings(id).get(1).get("actions").findValuesAsText(
                "outcome").stream().allMatch("succeeded"::equals));
        JsonNode log = server.api().get("/api/v1/devices/fan-b/operations").json().get("items");
        assertThat(log.findValuesAsText("requestedBy")).contains("rule:" + id);
        JsonNode audit = server.api().get("/api/v1/audit?actor=rule:" + id).json().get("items");
        assertThat(audit.findValuesAsText("target")).contains("fan-b/3306/0/5850", "fan-c/3306/0/5850");

        // Disabled, it does nothing; deleted, it is gone.
        JsonNode rule = server.api().get("/api/v1/rules/" + id).json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) rule).put("enabled", false);
        assertThat(server.api().put("/api/v1/rules/" + id, rule.toString()).status()).isEqualTo(200);
        speed(90);
        await().atMost(Duration.ofSeconds(20)).until(() -> latestSpeed() == 90);
        assertThat(fanOn(b)).isFalse();
        assertThat(server.api().delete("/api/v1/rules/" + id).status()).isEqualTo(204);
        assertThat(server.api().get("/api/v1/rules/" + id).status()).isEqualTo(404);
    }

    @Test
    void aRuleRaisesAnAlertAndCallsASignedWebhookThatRetriesWhenTheReceiverFails() throws Exception {
        String secret = "webhook-secret-0123456789";
        try (WebhookReceiver receiver = new WebhookReceiver(2)) {
            Api.Reply created = server.api().post("/api/v1/rules", """
                    {"name": "overspeed", "trigger": {"path": "/3306/0/5851", "endpoint": "fan-a",
                      "condition": "above", "threshold": 70, "clear": 30},
                     "actions": [{"type": "alert", "severity": "critical", "message": "fan-a runs too fast"},
                                 {"type": "webhook", "url": "%s", "secret": "%s"}]}"""
                    .formatted(receiver.url(), secret));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            long id = created.json().get("id").asLong();
            // The secret is write-only.
            assertThat(created.text()).doesNotContain(secret).contains("\"secretSet\":true");
            await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get("/api/v1/devices/fan-a/observations")
                    .text().contains("/3306/0/5851"));

            speed(85);
            JsonNode alert = await().atMost(Duration.ofSeconds(20)).until(
                    () -> server.api().get("/api/v1/alerts?state=active&ruleId=" + id).json().get("items"),
                    items -> items.size() == 1).get(0);
            assertThat(alert.get("severity").asText()).isEqualTo("critical");
            assertThat(alert.get("message").asText()).isEqualTo("fan-a runs too fast");
            assertThat(alert.get("endpoint").asText()).isEqualTo("fan-a");
            assertThat(alert.get("value").asDouble()).isEqualTo(85.0);
            assertThat(server.api().get("/api/v1/alerts").json().at("/counts/activeBySeverity/critical").asLong())
                    .isEqualTo(1);

            // Two failures, then delivered: three attempts of the same delivery, each signed.
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 3);
            List<WebhookReceiver.Received> attempts = receiver.received();
            assertThat(attempts).extracting(WebhookReceiver.Received::delivery).containsOnly(
                    attempts.get(0).delivery());
            for (WebhookReceiver.Received attempt : attempts) {
                assertThat(attempt.signature()).isEqualTo("sha256=" + hmac(secret, attempt.body()));
            }
            JsonNode payload = Json.MAPPER.readTree(attempts.get(2).body());
            assertThat(payload.get("state").asText()).isEqualTo("raised");
            assertThat(payload.get("endpoint").asText()).isEqualTo("fan-a");
            assertThat(payload.at("/rule/id").asLong()).isEqualTo(id);
            assertThat(payload.get("value").asDouble()).isEqualTo(85.0);
            await().atMost(Duration.ofSeconds(10)).until(() -> firings(id).get(0).get("actions").toString()
                    .contains("delivered (attempt 3)"));

            // Acknowledged once, by whom; then cleared when the speed falls below the clear level.
            long alertId = alert.get("id").asLong();
            Api.Reply ack = server.api().post("/api/v1/alerts/" + alertId + "/acknowledge", "");
            assertThat(ack.status()).as(ack.text()).isEqualTo(200);
            assertThat(ack.json().get("acknowledgedBy").asText()).startsWith("admin");
            assertThat(server.api().post("/api/v1/alerts/" + alertId + "/acknowledge", "").status()).isEqualTo(409);
            speed(10);
            await().atMost(Duration.ofSeconds(20)).until(() -> !server.api().get("/api/v1/alerts/" + alertId).json()
                    .get("clearedAt").isNull());
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received().size() == 4);
            assertThat(Json.MAPPER.readTree(receiver.received().get(3).body()).get("state").asText())
                    .isEqualTo("cleared");
            assertThat(server.api().delete("/api/v1/rules/" + id).status()).isEqualTo(204);
        }
    }

    private static String hmac(String secret, byte[] body) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "HmacSHA256"));
        return java.util.HexFormat.of().formatHex(mac.doFinal(body));
    }

    @Test
    void invalidRulesAreRefusedNamingTheField() {
        String action = "{\"type\":\"write\",\"endpoint\":\"fan-b\",\"path\":\"/3306/0/5850\",\"value\":true}";
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/99999\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"above\",\"threshold\":1},\"actions\":[" + action + "]}", "trigger.path");
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5851\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"above\",\"threshold\":\"high\"},\"actions\":[" + action + "]}", "trigger.threshold");
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3/0/0\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"above\",\"threshold\":1},\"actions\":[" + action + "]}", "trigger.path");
        // The manufacturer (/3/0/0) can be read, not written.
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5851\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"above\",\"threshold\":1},\"actions\":[{\"type\":\"write\",\"endpoint\":\"fan-b\","
                + "\"path\":\"/3/0/0\",\"value\":\"x\"}]}", "actions[0].path");
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5851\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"above\",\"threshold\":50,\"clear\":70},\"actions\":[" + action + "]}",
                "trigger.clear");
        // equals with a value of the wrong type, an unknown condition, a webhook that is not a URL.
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5850\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"equals\",\"value\":\"on\"},\"actions\":[" + action + "]}", "trigger.value");
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5851\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"sometimes\"},\"actions\":[" + action + "]}", "trigger.condition");
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5851\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"silent\"},\"actions\":[" + action + "]}", "trigger.silentSeconds");
        assertRefused("{\"name\":\"x\",\"trigger\":{\"path\":\"/3306/0/5851\",\"endpoint\":\"fan-a\","
                + "\"condition\":\"changed\"},\"actions\":[{\"type\":\"webhook\",\"url\":\"file:///etc/passwd\","
                + "\"secret\":\"0123456789abcdef\"}]}", "actions[0].url");
        assertThat(server.api().get("/api/v1/rules").json().get("items")).isEmpty();
    }

    private static void assertRefused(String body, String field) {
        Api.Reply reply = server.api().post("/api/v1/rules", body);
        assertThat(reply.status()).as(reply.text()).isEqualTo(400);
        assertThat(reply.json().get("field").asText()).isEqualTo(field);
    }

    private static void speed(int percent) {
        Api.Reply reply = server.api().put("/api/v1/devices/fan-a/objects/3306/0/5851", "{\"value\":" + percent + "}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
    }

    private static long latestSpeed() {
        JsonNode latest = server.api().get("/api/v1/devices/fan-a/telemetry/latest").json();
        for (JsonNode point : latest.path("items")) {
            if (point.path("path").asText().equals("/3306/0/5851")) {
                return point.path("value").asLong();
            }
        }
        return -1;
    }

    private static boolean fanOn(SimulatedDevice device) {
        return device.object(FanObjects.class).isOn();
    }

    private static JsonNode firings(long id) {
        return server.api().get("/api/v1/rules/" + id + "/firings").json().get("items");
    }
}
