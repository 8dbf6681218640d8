package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the API answered 2xx for is on disk before the answer leaves: the server in a child JVM is killed with
 * SIGKILL right after the answers, and the server started again on the same data folder still has them.
 */
class DurabilityTest {

    /** H2's own files are what this checks (the suite's PostgreSQL run skips it). */
    @BeforeAll
    static void onH2Only() {
        org.junit.jupiter.api.Assumptions.assumeFalse(TestDatabase.postgresql(), "checks the H2 file database");
    }

    @Test
    void aProvisionedDeviceAndARevokedTokenSurviveKillMinus9(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        String revokedSecret;
        String keptSecret;
        try (ChildServer first = ChildServer.start(data)) {
            Api admin = first.admin();
            keptSecret = admin.token();
            Api.Reply created = admin.post("/api/v1/tokens", "{\"name\":\"leaked\",\"role\":\"operator\"}");
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            revokedSecret = created.json().get("token").asText();
            Api leaked = admin.withToken(revokedSecret);
            assertThat(leaked.get("/api/v1/devices").status()).isEqualTo(200);

            Devices.provisionPsk(admin, "durable-1", "durable-1", new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
            assertThat(admin.delete("/api/v1/tokens/" + created.json().get("id").asLong()).status())
                    .isEqualTo(204);
            // No pause: the kill follows the last 204 as closely as the test can make it.
            first.kill();
        }

        try (ChildServer second = ChildServer.start(data)) {
            Api kept = second.anonymous().withToken(keptSecret);
            Api.Reply device = kept.get("/api/v1/devices/durable-1");
            assertThat(device.status()).as(device.text()).isEqualTo(200);
            assertThat(kept.get("/api/v1/devices/durable-1/credentials").json().get("identity").asText())
                    .isEqualTo("durable-1");
            assertThat(second.anonymous().withToken(revokedSecret).get("/api/v1/devices").status())
                    .as("a revoked token must stay revoked after a crash").isEqualTo(401);
        }
    }
}
