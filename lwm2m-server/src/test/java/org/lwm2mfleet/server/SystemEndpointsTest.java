package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health, metrics and the console page are served. */
class SystemEndpointsTest {

    @TempDir
    Path dir;

    @Test
    void healthMetricsAndConsoleAreServed() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"h-1\",\"credentials\":{\"kind\":\"none\"}}");

            // Open to load balancers, and silent about the fleet.
            Api.Reply health = server.anonymous().get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().get("status").asText()).isEqualTo("UP");
            assertThat(health.json().has("devices")).isFalse();
            assertThat(server.anonymous().get("/metrics").status()).isEqualTo(401);
            assertThat(health.json().at("/endpoints/coaps").asInt()).isEqualTo(server.server().coapsPort());

            Api.Reply metrics = server.api().get("/metrics");
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.contentType()).startsWith("text/plain");
            assertThat(metrics.text()).contains("lwm2m_devices{status=\"offline\"} 1.0", "jvm_memory_used_bytes");

            Api.Reply console = server.api().get("/");
            assertThat(console.status()).isEqualTo(200);
            assertThat(console.text()).contains("<title>LwM2M Fleet</title>");
            assertThat(server.api().get("/js/api.js").text()).contains("/api/v1/events");
        }
    }

    @Test
    void serverKeyIsGeneratedOnceAndReused() throws Exception {
        byte[] first;
        try (TestServer server = TestServer.start(dir)) {
            first = server.server().identity().certificate().getEncoded();
        }
        try (TestServer server = TestServer.start(dir)) {
            assertThat(server.server().identity().certificate().getEncoded()).isEqualTo(first);
        }
        assertThat(dir.resolve("keys/server-key.pem")).exists();
    }
}
