package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** Demo mode: simulated devices of every profile, provisioned with PSK, come online by themselves. */
class DemoModeTest {

    @TempDir
    Path dir;

    @Test
    void demoFleetRegistersOverDtlsAndReportsBelievableValues() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.demo(true).demoDevices(5))) {
            JsonNode online = await().atMost(Duration.ofSeconds(30)).until(
                    () -> server.api().get("/api/v1/devices?status=online&tag=demo").json(),
                    page -> page.get("items").size() == 5);
            assertThat(online.get("items").findValuesAsText("endpoint")).containsExactlyInAnyOrder(
                    "demo-electricity-meter-1", "demo-water-meter-1", "demo-environment-sensor-1",
                    "demo-gas-detector-1", "demo-ventilation-fan-1");
            assertThat(online.get("items").findValuesAsText("kind")).containsOnly("psk");

            JsonNode temperature = server.api().get("/api/v1/devices/demo-environment-sensor-1/objects/3303/0/5700")
                    .json();
            assertThat(temperature.get("name").asText()).isEqualTo("Sensor Value");
            assertThat(temperature.get("value").asDouble()).isBetween(-10.0, 40.0);

            JsonNode energy = server.api().get("/api/v1/devices/demo-electricity-meter-1/objects/3331/0/5700").json();
            assertThat(energy.get("value").asDouble()).isPositive();

            JsonNode withTemperature = server.api().get("/api/v1/devices?object=3303").json();
            assertThat(withTemperature.get("items").findValuesAsText("endpoint"))
                    .containsExactly("demo-environment-sensor-1");

            // The demo's gas rule is there, and a gas event switches the fan on through it.
            assertThat(server.api().get("/api/v1/rules").text()).contains("Ventilate on gas (demo)");
            assertThat(server.api().post("/api/v1/demo/gas-event", "{}").json().get("triggered").asBoolean())
                    .isTrue();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> server.api()
                    .get("/api/v1/devices/demo-ventilation-fan-1/objects/3306/0/5850").json().path("value")
                    .asBoolean());
            assertThat(server.api().get("/api/v1/alerts?state=active").json().at("/counts/activeBySeverity/major")
                    .asLong()).isEqualTo(1);
        }
    }
}
