package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.objects.FirmwareFailure;
import org.lwm2mfleet.sim.objects.FirmwareUpdateObject;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Injected firmware failures come back with their Update Result and a reason a person can read. */
class FirmwareFailureTest {

    private static final String SECRET = "firmware-failure-test";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();
    static long imageId;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.firmwareStallTimeout(Duration.ofSeconds(3)));
        byte[] image = new byte[20_000];
        new Random(1).nextBytes(image);
        HttpRequest upload = server.api().request("/api/v1/firmware?name=fw&version=3.0.0")
                .header("Content-Type", "application/octet-stream").POST(BodyPublishers.ofByteArray(image)).build();
        imageId = Json.MAPPER.readTree(server.api().http().send(upload, BodyHandlers.ofString()).body()).get("id")
                .asLong();
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @ParameterizedTest
    @EnumSource(value = FirmwareFailure.class, names = { "NOT_ENOUGH_FLASH", "CONNECTION_LOST", "INTEGRITY_CHECK",
            "UPDATE_FAILED" })
    void injectedFailureIsReportedWithItsUpdateResult(FirmwareFailure failure) {
        String endpoint = "fail-" + failure.name().toLowerCase().replace('_', '-');
        SimulatedDevice device = start(endpoint);
        device.firmware().injectFailure(failure);

        JsonNode update = update(endpoint);
        assertThat(update.at("/update/status").asText()).isEqualTo("failed");
        assertThat(update.at("/update/updateResult").asInt()).isEqualTo(failure.updateResult());
        assertThat(update.at("/update/failure").asText()).startsWith("Update Result " + failure.updateResult());
        assertThat(device.objects().device().firmwareVersion()).isEqualTo("1.0.0");
    }

    @Test
    void aDeviceSilentInUpdatingIsFailedAfterTheStallTimeout() {
        SimulatedDevice device = start("silent-fw");
        device.firmware().injectFailure(FirmwareFailure.SILENT_IN_UPDATING);

        JsonNode update = update("silent-fw");
        assertThat(update.at("/update/status").asText()).isEqualTo("failed");
        assertThat(update.at("/update/failure").asText()).contains("stalled in updating");
        assertThat(device.firmware().state()).isEqualTo(FirmwareUpdateObject.UPDATING);
    }

    @Test
    void theDownloadProtocolFollowsWhatTheDeviceSupports() {
        SimulatedDevice plainOnly = start("plain-only-fw");
        plainOnly.firmware().protocolSupport(0); // CoAP only, though it registered over DTLS
        JsonNode update = update("plain-only-fw");
        // A DTLS device's link is served over DTLS only: no coap:// link is written that would then be refused.
        assertThat(update.at("/update/status").asText()).isEqualTo("failed");
        assertThat(update.at("/update/failure").asText()).contains("served over CoAPS only");
        assertThat(server.api().get("/api/v1/devices/plain-only-fw/objects/5/0/1").json().get("value").asText())
                .doesNotContain("/fw/");

        SimulatedDevice httpOnly = start("http-only-fw");
        httpOnly.firmware().protocolSupport(2);
        JsonNode refused = update("http-only-fw");
        assertThat(refused.at("/update/status").asText()).isEqualTo("failed");
        assertThat(refused.at("/update/failure").asText()).contains("none of CoAP (0) and CoAPS (1)");
    }

    @Test
    void aDeviceCannotDownloadAnotherDevicesLink() {
        SimulatedDevice owner = start("owner-fw");
        SimulatedDevice thief = start("thief-fw");
        owner.firmware().injectFailure(FirmwareFailure.SILENT_IN_UPDATING);
        Api.Reply started = server.api().post("/api/v1/devices/owner-fw/firmware-updates",
                "{\"imageId\":" + imageId + "}");
        assertThat(started.status()).isEqualTo(202);
        String link = await().until(() -> server.api().get("/api/v1/devices/owner-fw/objects/5/0/1").json(),
                uri -> uri.path("value").asText().contains("/fw/")).get("value").asText();

        // The thief is given the owner's link: the server refuses it (4.03) and the thief reports a failed download.
        assertThat(server.api().put("/api/v1/devices/thief-fw/objects/5/0/1",
                "{\"value\":\"" + link + "\"}").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> thief.firmware().result() != 0);
        assertThat(thief.firmware().result()).isEqualTo(FirmwareUpdateObject.RESULT_CONNECTION_LOST);
        assertThat(thief.firmware().image()).isNull();
    }

    private static SimulatedDevice start(String endpoint) {
        return devices.startPsk(server, SECRET, endpoint, Profile.GAS_DETECTOR);
    }

    private static JsonNode update(String endpoint) {
        Api.Reply started = server.api().post("/api/v1/devices/" + endpoint + "/firmware-updates",
                "{\"imageId\":" + imageId + "}");
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        long id = started.json().get("id").asLong();
        return await().atMost(Duration.ofSeconds(30)).until(
                () -> server.api().get("/api/v1/firmware-updates/" + id).json(),
                u -> Stream.of("succeeded", "failed").anyMatch(s -> s.equals(u.at("/update/status").asText())));
    }
}
