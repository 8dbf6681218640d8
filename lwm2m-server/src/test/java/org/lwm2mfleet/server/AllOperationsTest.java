package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Every LwM2M operation the REST API offers, round-tripped against real simulated devices, in several formats. */
class AllOperationsTest {

    private static final String SECRET = "all-operations-test";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        for (var device : List.of(new Object[] { "fan-2", Profile.VENTILATION_FAN },
                new Object[] { "env-2", Profile.ENVIRONMENT_SENSOR })) {
            String endpoint = (String) device[0];
            byte[] key = FleetCredentials.pskKey(SECRET, endpoint);
            Devices.provisionPsk(server.api(), endpoint, endpoint, key);
            devices.start(endpoint, (Profile) device[1], server.server().coapsUri(), DeviceSecurity.psk(endpoint, key));
            RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @ParameterizedTest
    @ValueSource(strings = { "tlv", "senml-cbor", "senml-json", "json" })
    void readAndWriteInEachFormat(String format) {
        Api.Reply instance = server.api().get("/api/v1/devices/fan-2/objects/3/0?format=" + format);
        assertThat(instance.status()).as(instance.text()).isEqualTo(200);
        assertThat(Resources.byPath(instance.json(), "/3/0/0").get("value").asText()).isEqualTo("LwM2M Fleet Sim");

        Api.Reply write = server.api().put("/api/v1/devices/fan-2/objects/3306/0/5851?format=" + format,
                "{\"value\": 42}");
        assertThat(write.status()).as(write.text()).isEqualTo(200);
        assertThat(server.api().get("/api/v1/devices/fan-2/objects/3306/0/5851?format=" + format).json()
                .get("value").asInt()).isEqualTo(42);
    }

    @Test
    void textAndOpaqueWorkForSingleResources() {
        assertThat(server.api().get("/api/v1/devices/fan-2/objects/3/0/1?format=text").json().get("value").asText())
                .isEqualTo("SIM-FAN-1");
        assertProblem(server.api().get("/api/v1/devices/fan-2/objects/3/0?format=carrier-pigeon"), 400, "format");
    }

    @ParameterizedTest
    @ValueSource(strings = { "senml-cbor", "senml-json" })
    void compositeReadAcrossObjects(String format) {
        Api.Reply read = server.api().post("/api/v1/devices/env-2/composite:read?format=" + format,
                "{\"paths\":[\"/3/0/0\",\"/3303/0/5700\",\"/3304/0\"]}");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        JsonNode nodes = read.json().get("nodes");
        assertThat(nodes.findValuesAsText("path")).contains("/3/0/0", "/3303/0/5700", "/3304/0");
        assertThat(nodes.findValuesAsText("name")).contains("Manufacturer", "Sensor Value", "Humidity");
    }

    @Test
    void compositeWriteAcrossResources() {
        Api.Reply write = server.api().post("/api/v1/devices/fan-2/composite:write",
                "{\"values\":{\"/3/0/14\":\"+01:00\",\"/3306/0/5850\":true}}");
        assertThat(write.status()).as(write.text()).isEqualTo(200);
        assertThat(server.api().get("/api/v1/devices/fan-2/objects/3/0/14").json().get("value").asText())
                .isEqualTo("+01:00");
        assertThat(server.api().get("/api/v1/devices/fan-2/objects/3342/0/5500").json().get("value").asBoolean())
                .isTrue();
    }

    @Test
    void executeWithArguments() {
        Api.Reply execute = server.api().post("/api/v1/devices/env-2/objects/3303/0/5605/execute",
                "{\"arguments\":\"0='now'\"}");
        assertThat(execute.status()).as(execute.text()).isEqualTo(200);
        assertProblem(server.api().post("/api/v1/devices/env-2/objects/3303/0/5605/execute",
                "{\"arguments\":\"not ' valid\"}"), 400, "arguments");
    }

    @ParameterizedTest
    @ValueSource(strings = { "tlv", "senml-cbor" })
    void createReadAndDeleteAnInstance(String format) {
        Api.Reply create = server.api().post("/api/v1/devices/fan-2/objects/3306?format=" + format,
                "{\"instanceId\": 7,"
                + "\"resources\":[{\"id\":5850,\"value\":true},{\"id\":5750,\"value\":\"second fan\"}]}");
        assertThat(create.status()).as(create.text()).isEqualTo(200);

        JsonNode created = server.api().get("/api/v1/devices/fan-2/objects/3306/7?format=" + format).json();
        assertThat(Resources.byPath(created, "/3306/7/5750").get("value").asText()).isEqualTo("second fan");

        assertThat(server.api().delete("/api/v1/devices/fan-2/objects/3306/7").status()).isEqualTo(200);
        assertProblem(server.api().get("/api/v1/devices/fan-2/objects/3306/7"), 422, null);
    }

    @ParameterizedTest
    @ValueSource(strings = { "tlv", "senml-cbor" })
    void observeAnswersWithTheCurrentValueInEachFormat(String format) {
        Api.Reply observe = server.api().post("/api/v1/devices/env-2/observations",
                "{\"paths\":[\"/3304/0\"],\"format\":\"" + format + "\"}");
        assertThat(observe.status()).as(observe.text()).isEqualTo(200);
        assertThat(Resources.byPath(observe.json().get("current"), "/3304/0/5701").get("value").asText())
                .isEqualTo("%RH");
        assertThat(server.api().delete("/api/v1/devices/env-2/observations?paths=/3304/0").status()).isEqualTo(200);
    }

    @Test
    void observeCompositeAcrossObjects() {
        Api.Reply observe = server.api().post("/api/v1/devices/env-2/observations",
                "{\"paths\":[\"/3303/0/5700\",\"/3304/0/5700\"],\"format\":\"senml-cbor\"}");
        assertThat(observe.status()).as(observe.text()).isEqualTo(200);
        assertThat(observe.json().at("/current/nodes").findValuesAsText("path")).containsExactly("/3303/0/5700",
                "/3304/0/5700");
        assertThat(server.api().get("/api/v1/devices/env-2/observations").json().at("/items/0/paths").size())
                .isEqualTo(2);
        assertThat(server.api().delete("/api/v1/devices/env-2/observations?paths=/3303/0/5700,/3304/0/5700")
                .status()).isEqualTo(200);
    }

    @Test
    void discoverAndWriteAttributes() {
        Api.Reply attributes = server.api().put("/api/v1/devices/env-2/objects/3303/0/5700/attributes",
                "{\"pmin\": 5, \"pmax\": 50, \"st\": 0.5}");
        assertThat(attributes.status()).as(attributes.text()).isEqualTo(200);

        Api.Reply discover = server.api().get("/api/v1/devices/env-2/objects/3303/0/discover");
        assertThat(discover.status()).as(discover.text()).isEqualTo(200);
        assertThat(discover.json().get("links").asText()).contains("</3303/0/5700>", "pmin=5", "pmax=50");
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsSent() {
        assertProblem(server.api().put("/api/v1/devices/fan-2/objects/3306/0/5851", "{\"value\":\"fast\"}"), 400,
                "value");
        assertProblem(server.api().put("/api/v1/devices/fan-2/objects/3306/0/5851", "{\"value\":250}"), 400, "value");
        assertProblem(server.api().get("/api/v1/devices/fan-2/objects/31999/0"), 400, "path");
        assertProblem(server.api().post("/api/v1/devices/fan-2/observations", "{\"paths\":[\"/3/0/4\"]}"), 400,
                "path");
        assertProblem(server.api().put("/api/v1/devices/env-2/objects/3303/0/5700/attributes", "{\"speed\": 1}"),
                400, "attributes");
        assertProblem(server.api().post("/api/v1/devices/env-2/composite:read", "{\"paths\":[]}"), 400, "paths");
        assertProblem(server.api().delete("/api/v1/devices/env-2/observations?paths=/3303/0/5701"), 404, null);

        // None of those reached a device: the log has no entry for them.
        JsonNode log = server.api().get("/api/v1/devices/fan-2/operations?limit=500").json();
        assertThat(log.get("items").findValuesAsText("target")).doesNotContain("/31999/0");
    }

    @Test
    void operationLogRecordsWhatWasAskedAndHowItWent() {
        server.api().get("/api/v1/devices/env-2/objects/3304/0/5700");
        server.api().get("/api/v1/devices/env-2/objects/3304/9");

        JsonNode log = org.awaitility.Awaitility.await().until(
                () -> server.api().get("/api/v1/devices/env-2/operations?limit=2").json(),
                l -> l.get("items").size() == 2 && "device_refused".equals(l.at("/items/0/outcome").asText()));
        assertThat(log.at("/items/0/target").asText()).isEqualTo("/3304/9");
        assertThat(log.at("/items/1/outcome").asText()).isEqualTo("success");
        assertThat(log.at("/items/1/operation").asText()).isEqualTo("read");
        assertThat(log.at("/items/1/latencyMillis").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(log.get("nextCursor").asText()).isNotBlank();
    }
}
