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
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The read and write endpoints added for the console: fleet statistics, devices by firmware version, bulk tags.
 */
class FleetViewsTest {

    private static final String SECRET = "fleet-views";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        devices.startPsk(server, SECRET, "views-meter-1", Profile.ELECTRICITY_METER);
        devices.startPsk(server, SECRET, "views-fan-1", Profile.VENTILATION_FAN);
        Devices.provisionPsk(server.api(), "views-offline-1", "views-offline-1", FleetCredentials.pskKey(SECRET, "x"));
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void statsCountDevicesRegistrationsAndAuthenticationFailures() {
        JsonNode stats = server.api().get("/api/v1/fleet/stats").json();
        assertThat(stats.at("/devices/online").asLong()).isEqualTo(2);
        assertThat(stats.at("/devices/offline").asLong()).isEqualTo(1);
        assertThat(stats.at("/devices/total").asLong()).isEqualTo(3);
        JsonNode buckets = stats.at("/registrations/buckets");
        assertThat(buckets).hasSize(36);
        long registrations = 0;
        for (JsonNode bucket : buckets) {
            registrations += bucket.get("count").asLong();
        }
        assertThat(registrations).isEqualTo(2);
        assertThat(server.api().get("/api/v1/fleet/stats?hours=1").json().at("/registrations/buckets")).hasSize(6);
        assertThat(server.api().get("/api/v1/fleet/stats?hours=49").json().get("field").asText()).isEqualTo("hours");

        // A device with a wrong key is refused at the handshake, and listed.
        devices.start("views-intruder", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.psk("views-offline-1", FleetCredentials.pskKey("another secret", "x")));
        JsonNode failure = await().atMost(Duration.ofSeconds(20)).until(
                () -> server.api().get("/api/v1/fleet/stats").json().get("authenticationFailures"), f -> f.size() > 0)
                .get(0);
        assertThat(failure.get("reason").asText()).isNotBlank();
        assertThat(failure.get("peer").asText()).startsWith("127.0.0.1");
    }

    @Test
    void devicesByFirmwareVersionArePagedLikeTheDeviceList() {
        await().atMost(Duration.ofSeconds(20)).until(
                () -> server.api().get("/api/v1/firmware/versions").json().get("items").size() == 2);
        JsonNode page = server.api().get("/api/v1/fleet/firmware/devices?version=1.0.0&limit=1").json();
        assertThat(page.get("items")).hasSize(1);
        assertThat(page.at("/items/0/endpoint").asText()).isEqualTo("views-fan-1");
        assertThat(page.at("/items/0/status").asText()).isEqualTo("online");
        JsonNode next = server.api().get("/api/v1/fleet/firmware/devices?version=1.0.0&limit=1&cursor="
                + page.get("nextCursor").asText()).json();
        assertThat(next.at("/items/0/endpoint").asText()).isEqualTo("views-meter-1");
        assertThat(next.get("nextCursor").isNull()).isTrue();
        JsonNode byModel = server.api().get("/api/v1/fleet/firmware/devices?model=SIM-EM-1").json();
        assertThat(byModel.get("items").findValuesAsText("endpoint")).containsExactly("views-meter-1");
        Api.Reply neither = server.api().get("/api/v1/fleet/firmware/devices");
        assertThat(neither.status()).isEqualTo(400);
        assertThat(neither.json().get("field").asText()).isEqualTo("version");
    }

    @Test
    void tagsAreAddedAndRemovedOnManyDevicesAtOnce() {
        Api.Reply reply = server.api().post("/api/v1/devices:tags",
                "{\"devices\":[\"views-meter-1\",\"views-fan-1\",\"nobody\"],\"add\":[\"floor-3\",\"b\"]}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        assertThat(reply.json().get("updated").asInt()).isEqualTo(2);
        assertThat(reply.json().get("missing").get(0).asText()).isEqualTo("nobody");
        assertThat(server.api().get("/api/v1/devices?tag=floor-3").json().get("items")).hasSize(2);

        server.api().post("/api/v1/devices:tags", "{\"devices\":[\"views-fan-1\"],\"remove\":[\"floor-3\"]}");
        assertThat(server.api().get("/api/v1/devices?tag=floor-3").json().get("items").findValuesAsText("endpoint"))
                .containsExactly("views-meter-1");
        assertThat(server.api().get("/api/v1/devices/views-fan-1").json().get("tags").toString()).isEqualTo("[\"b\"]");

        Api.Reply bad = server.api().post("/api/v1/devices:tags", "{\"devices\":[\"views-fan-1\"],\"add\":[\"no spaces\"]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("field").asText()).isEqualTo("add");
        Api.Reply nothing = server.api().post("/api/v1/devices:tags", "{\"devices\":[\"views-fan-1\"]}");
        assertThat(nothing.status()).isEqualTo(400);
        Api.Reply unknown = server.api().post("/api/v1/devices:tags", "{\"devices\":[\"views-fan-1\"],\"tags\":[\"x\"]}");
        assertThat(unknown.json().get("field").asText()).isEqualTo("tags");
    }

    @Test
    void theConsoleAndItsChartLibraryAreServedUnderTheStrictPolicy() throws Exception {
        Api anonymous = server.anonymous();
        Api.Reply page = anonymous.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).startsWith("default-src 'self'");
        assertThat(page.text()).contains("<script type=\"module\" src=\"js/app.js\"></script>").doesNotContain("<script>");

        Api.Reply uplot = anonymous.get("/webjars/uplot/1.6.30/dist/uPlot.esm.js");
        assertThat(uplot.status()).isEqualTo(200);
        assertThat(uplot.contentType()).contains("javascript");
        assertThat(anonymous.get("/webjars/uplot/1.6.30/dist/uPlot.min.css").contentType()).contains("text/css");
        assertThat(anonymous.get("/webjars/").status()).isIn(403, 404);
        assertThat(anonymous.get("/webjars/uplot/1.6.30/../../../META-INF/MANIFEST.MF").status()).isIn(400, 404);
    }

    /** Data goes into the page as text only: no script builds HTML from strings. */
    @Test
    void theConsoleScriptsNeverParseHtml() throws Exception {
        Path folder = Path.of("../web-ui/src/main/resources/console/js");
        try (var files = java.nio.file.Files.list(folder)) {
            for (Path file : files.toList()) {
                String code = java.nio.file.Files.readString(file);
                assertThat(code).as(file.toString()).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML",
                        "document.write", "eval(", "new Function");
            }
        }
    }
}
