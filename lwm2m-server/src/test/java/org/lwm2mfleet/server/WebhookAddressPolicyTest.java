package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Without {@code --webhook-allow-private}, a rule's webhook may not call loopback, private, link-local or multicast
 * addresses: refused when the rule is saved (400 naming the url), and again when it fires, for a rule that was
 * saved while the option was on.
 */
class WebhookAddressPolicyTest {

    private static final String SECRET = "webhook-policy-secret";
    private static final String RULE = """
            {"name": "%s", "trigger": {"path": "/3306/0/5851", "endpoint": "fan-w", "condition": "above",
              "threshold": 50, "clear": 20},
             "actions": [{"type": "webhook", "url": "%s", "secret": "0123456789abcdef"}]}""";

    @TempDir
    Path dir;

    @Test
    void internalAddressesAreRefusedWhenARuleIsSaved() throws Exception {
        try (TestServer server = TestServer.start(dir); WebhookReceiver receiver = new WebhookReceiver(0)) {
            for (String url : new String[] { receiver.url(), "http://localhost:8080/hook", "http://[::1]/hook",
                    "https://[::ffff:127.0.0.1]/hook", "http://0.0.0.0:80/", "http://169.254.169.254/latest/meta-data",
                    "http://10.1.2.3/hook", "http://192.168.0.10/hook", "http://[fd00::1]/hook",
                    "http://[fe80::1]/hook", "http://224.0.0.1/hook" }) {
                Api.Reply refused = server.api().post("/api/v1/rules", RULE.formatted("internal", url));
                assertThat(refused.status()).as(url + ": " + refused.text()).isEqualTo(400);
                assertThat(refused.contentType()).startsWith("application/problem+json");
                assertThat(refused.json().get("field").asText()).isEqualTo("actions[0].url");
                assertThat(refused.json().get("detail").asText()).contains("--webhook-allow-private");
            }
            assertThat(server.api().get("/api/v1/rules").json().get("items")).isEmpty();

            // A public address is taken (nothing calls it: no device fan-w); changed to loopback, it is refused.
            Api.Reply created = server.api().post("/api/v1/rules", RULE.formatted("public", "http://192.0.2.10/h"));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            ObjectNode rule = (ObjectNode) created.json();
            ((ObjectNode) rule.at("/actions/0")).put("url", "http://127.0.0.1:9/hook").put("secret",
                    "0123456789abcdef");
            Api.Reply replaced = server.api().put("/api/v1/rules/" + rule.get("id").asLong(), rule.toString());
            assertThat(replaced.status()).as(replaced.text()).isEqualTo(400);
            assertThat(replaced.json().get("field").asText()).isEqualTo("actions[0].url");
            assertThat(server.api().get("/api/v1/rules/" + rule.get("id").asLong()).json().at("/actions/0/url")
                    .asText()).isEqualTo("http://192.0.2.10/h");
        }
    }

    @Test
    void aRuleSavedWhileAllowedIsRefusedAtDeliveryOnceTheOptionIsOff() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(0); Devices devices = new Devices();
                TestServer server = TestServer.start(dir, c -> c.webhookAllowPrivate(true))) {
            byte[] key = FleetCredentials.pskKey(SECRET, "fan-w");
            Devices.provisionPsk(server.api(), "fan-w", "fan-w", key);
            Api.Reply created = server.api().post("/api/v1/rules", RULE.formatted("loopback", receiver.url()));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            long id = created.json().get("id").asLong();

            server.restart(c -> c.webhookAllowPrivate(false));
            devices.start("fan-w", Profile.VENTILATION_FAN, server.server().coapsUri(),
                    DeviceSecurity.psk("fan-w", key));
            RegistryLifecycleTest.awaitStatus(server, "fan-w", "online");
            await().atMost(Duration.ofSeconds(20)).until(() -> server.api().get("/api/v1/devices/fan-w/observations")
                    .text().contains("/3306/0/5851"));
            Api.Reply speed = server.api().put("/api/v1/devices/fan-w/objects/3306/0/5851", "{\"value\":90}");
            assertThat(speed.status()).as(speed.text()).isEqualTo(200);

            JsonNode outcome = await().atMost(Duration.ofSeconds(20)).until(() -> firstWebhookOutcome(server, id),
                    o -> o != null && !o.get("outcome").asText().equals("sending"));
            assertThat(outcome.get("outcome").asText()).startsWith("refused: ").contains("127.0.0.1", "loopback");
            assertThat(receiver.received()).isEmpty();
            assertThat(server.api().get("/metrics").text()).contains("rules_webhook_deliveries_total{outcome=\"refused\"}");
        }
    }

    private static JsonNode firstWebhookOutcome(TestServer server, long ruleId) {
        JsonNode firings = server.api().get("/api/v1/rules/" + ruleId + "/firings").json().get("items");
        if (firings.isEmpty()) {
            return null;
        }
        for (JsonNode action : firings.get(firings.size() - 1).get("actions")) {
            if (action.get("type").asText().equals("webhook")) {
                return action;
            }
        }
        return null;
    }
}
