package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Rules live in the database: a disabled rule stays disabled across a restart, and its webhook secret is kept. */
class RulePersistenceTest {

    @TempDir
    Path dir;

    @Test
    void rulesSurviveARestartWithTheirStateAndSecrets() throws Exception {
        // Its webhook URL is on 127.0.0.1, which only this option lets a rule name.
        try (TestServer server = TestServer.start(dir, c -> c.webhookAllowPrivate(true))) {
            Api.Reply created = server.api().post("/api/v1/rules", """
                    {"name": "kept", "trigger": {"path": "/3303/0/5700", "profile": 3303, "condition": "below",
                      "threshold": 5, "clear": 7},
                     "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/hook",
                                  "secret": "a-secret-of-some-length"}]}""");
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            long id = created.json().get("id").asLong();
            // Given back without its secret, and disabled: the secret is kept.
            ObjectNode rule = (ObjectNode) created.json();
            rule.put("enabled", false);
            Api.Reply replaced = server.api().put("/api/v1/rules/" + id, rule.toString());
            assertThat(replaced.status()).as(replaced.text()).isEqualTo(200);

            server.restart();

            JsonNode after = server.api().get("/api/v1/rules/" + id).json();
            assertThat(after.get("enabled").asBoolean()).isFalse();
            assertThat(after.at("/trigger/profile").asInt()).isEqualTo(3303);
            assertThat(after.at("/actions/0/secretSet").asBoolean()).isTrue();
            assertThat(after.toString()).doesNotContain("a-secret-of-some-length");
            assertThat(server.api().get("/api/v1/rules/" + id + "/firings").json().get("items")).isEmpty();
            // A new URL needs its secret again.
            ((ObjectNode) after.at("/actions/0")).put("url", "http://127.0.0.1:10/hook");
            Api.Reply refused = server.api().put("/api/v1/rules/" + id, after.toString());
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().get("field").asText()).isEqualTo("actions[0].secret");
        }
    }
}
