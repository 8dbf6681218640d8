package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.models.InvalidModelsException;

import com.fasterxml.jackson.databind.JsonNode;

/** The models the server knows, including an operator's extra DDF folder, are served; a broken file stops start. */
class ObjectModelsApiTest {

    @TempDir
    Path dir;

    @Test
    void vendorObjectsFromTheModelsFolderAreServed() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        String temperature = new String(getClass().getResourceAsStream("/org/lwm2mfleet/models/ddf/3303.xml")
                .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        Files.writeString(models.resolve("acme-probe.xml"), temperature
                .replace("<ObjectID>3303</ObjectID>", "<ObjectID>33000</ObjectID>")
                .replace("<Name>Temperature</Name>", "<Name>Acme Probe</Name>")
                .replace("urn:oma:lwm2m:ext:3303", "urn:oma:lwm2m:x:33000"));

        try (TestServer server = TestServer.start(dir.resolve("data"), c -> c.modelsDir(models))) {
            JsonNode vendor = server.api().get("/api/v1/objects/33000").json();
            assertThat(vendor.get("name").asText()).isEqualTo("Acme Probe");
            JsonNode device = server.api().get("/api/v1/objects/3").json();
            assertThat(device.get("version").asText()).isEqualTo("1.2");
            assertThat(device.get("resources").get(0).get("name").asText()).isEqualTo("Manufacturer");
            assertThat(server.api().get("/api/v1/objects/3?version=1.0").json().get("version").asText())
                    .isEqualTo("1.0");
            assertThat(server.api().get("/api/v1/objects").json().get("items").size()).isGreaterThan(300);
            assertProblem(server.api().get("/api/v1/objects/77777"), 404, null);
            assertProblem(server.api().get("/api/v1/objects/abc"), 400, "id");
        }
    }

    @Test
    void aBrokenModelFileStopsTheStartNamingTheFile() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        Files.writeString(models.resolve("broken-vendor.xml"), "<LWM2M><Object>");

        assertThatThrownBy(() -> TestServer.start(dir.resolve("data"), c -> c.modelsDir(models)))
                .isInstanceOf(InvalidModelsException.class).hasMessageContaining("broken-vendor.xml");
    }
}
