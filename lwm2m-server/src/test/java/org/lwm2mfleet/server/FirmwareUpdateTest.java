package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Firmware images and a single-device update over CoAPS pull, with real bytes. */
class FirmwareUpdateTest {

    private static final String SECRET = "firmware-test";

    @TempDir
    Path dir;

    /** One server for the tests that need no configuration of their own: each uses its own image and device names. */
    @TempDir
    static Path sharedDir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(sharedDir);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void pullOverCoapsOfA512KiBImageEndsWithTheNewVersion() throws Exception {
        try (Devices devices = new Devices()) {
            byte[] image = new byte[512 * 1024];
            new Random(5).nextBytes(image);
            JsonNode uploaded = upload(server, "meter-fw", "2.0.0", image).json();
            assertThat(uploaded.get("size").asLong()).isEqualTo(image.length);
            assertThat(uploaded.get("sha256").asText()).isEqualTo(sha256(image));

            SimulatedDevice device = devices.startPsk(server, SECRET, "fw-1", Profile.ELECTRICITY_METER);
            int registrations = device.registrationCount();

            Api.Reply started = server.api().post("/api/v1/devices/fw-1/firmware-updates",
                    "{\"imageId\":" + uploaded.get("id").asLong() + "}");
            assertThat(started.status()).as(started.text()).isEqualTo(202);
            long updateId = started.json().get("id").asLong();

            JsonNode done = await().atMost(Duration.ofSeconds(60)).until(
                    () -> server.api().get("/api/v1/firmware-updates/" + updateId).json(),
                    u -> Stream.of("succeeded", "failed").anyMatch(s -> s.equals(u.at("/update/status").asText())));
            assertThat(done.at("/update/status").asText()).as(done.toString()).isEqualTo("succeeded");
            assertThat(sha256(device.firmware().image())).isEqualTo(sha256(image));
            assertThat(device.registrationCount()).isGreaterThan(registrations);
            assertThat(server.api().get("/api/v1/devices/fw-1/objects/3/0/3").json().get("value").asText())
                    .isEqualTo("2.0.0");
            assertThat(done.get("history").findValuesAsText("status")).containsSubsequence("pending", "downloading",
                    "downloaded", "updating", "succeeded");
            assertProblem(server.api().delete("/api/v1/firmware/" + uploaded.get("id").asLong()), 409, null);
        }
    }

    @Test
    void aDownloadInterruptedHalfWayResumesAndCompletesOnRetry() throws Exception {
        try (Devices devices = new Devices()) {
            byte[] image = new byte[256 * 1024];
            new Random(11).nextBytes(image);
            long imageId = upload(server, "resume-fw", "2.2.0", image).json().get("id").asLong();
            SimulatedDevice device = devices.startPsk(server, SECRET, "resume-1", Profile.GAS_DETECTOR);

            device.firmware().injectFailure(org.lwm2mfleet.sim.objects.FirmwareFailure.CONNECTION_LOST);
            JsonNode lost = update(server, "resume-1", imageId);
            assertThat(lost.at("/update/status").asText()).isEqualTo("failed");
            assertThat(lost.at("/update/updateResult").asInt()).isEqualTo(4);

            device.firmware().injectFailure(org.lwm2mfleet.sim.objects.FirmwareFailure.NONE);
            JsonNode retried = update(server, "resume-1", imageId);
            assertThat(retried.at("/update/status").asText()).as(retried.toString()).isEqualTo("succeeded");
            // The retry asked only for the blocks after the half it kept.
            assertThat(device.firmware().resumedAtBlock()).isEqualTo(image.length / 2 / 512);
            assertThat(sha256(device.firmware().image())).isEqualTo(sha256(image));
        }
    }

    private static JsonNode update(TestServer server, String endpoint, long imageId) {
        Api.Reply started = server.api().post("/api/v1/devices/" + endpoint + "/firmware-updates",
                "{\"imageId\":" + imageId + "}");
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        long id = started.json().get("id").asLong();
        return await().atMost(Duration.ofSeconds(60)).until(
                () -> server.api().get("/api/v1/firmware-updates/" + id).json(),
                u -> Stream.of("succeeded", "failed").anyMatch(st -> st.equals(u.at("/update/status").asText())));
    }

    @Test
    void pushOverBlock1ToAPushOnlyDevice() throws Exception {
        try (Devices devices = new Devices()) {
            byte[] body = new byte[100 * 1024];
            new Random(9).nextBytes(body);
            byte[] header = "SIMFW 2.1.0\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] image = new byte[header.length + body.length];
            System.arraycopy(header, 0, image, 0, header.length);
            System.arraycopy(body, 0, image, header.length, body.length);
            long imageId = upload(server, "push-fw", "2.1.0", image).json().get("id").asLong();

            byte[] key = FleetCredentials.pskKey(SECRET, "push-1");
            Devices.provisionPsk(server.api(), "push-1", "push-1", key);
            SimulatedDevice device = devices.start("push-1", Profile.WATER_METER, server.server().coapsUri(),
                    DeviceSecurity.psk("push-1", key));
            device.firmware().deliveryMethod(1);
            RegistryLifecycleTest.awaitStatus(server, "push-1", "online");

            long updateId = server.api().post("/api/v1/devices/push-1/firmware-updates",
                    "{\"imageId\":" + imageId + "}").json().get("id").asLong();
            JsonNode done = await().atMost(Duration.ofSeconds(60)).until(
                    () -> server.api().get("/api/v1/firmware-updates/" + updateId).json(),
                    u -> Stream.of("succeeded", "failed").anyMatch(s -> s.equals(u.at("/update/status").asText())));
            assertThat(done.at("/update/status").asText()).as(done.toString()).isEqualTo("succeeded");
            assertThat(sha256(device.firmware().image())).isEqualTo(sha256(image));
            assertThat(done.get("history").findValuesAsText("detail")).contains("pushing the image (Block1)");
            assertThat(device.firmware().result()).isEqualTo(1);
        }
    }

    @Test
    void anOversizedUploadIsRefusedAndLeavesNoFile() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.firmwareMaxBytes(64 * 1024))) {
            byte[] tooBig = new byte[200 * 1024];
            // Declared too large: answered from the head alone, before any of the body is sent.
            String refused = headOfUpload(server, tooBig.length);
            assertThat(refused).startsWith("HTTP/1.1 413").contains("\"field\":\"body\"");
            try (Stream<Path> files = Files.list(dir.resolve("firmware"))) {
                assertThat(files).isEmpty();
            }
            assertThat(server.api().get("/api/v1/firmware").json().get("items").size()).isZero();

            // Chunked (no Content-Length): refused while streaming, still no file.
            HttpRequest chunked = server.api().request("/api/v1/firmware?name=big&version=2")
                    .header("Content-Type", "application/octet-stream")
                    .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(tooBig))).build();
            try {
                assertThat(server.api().http().send(chunked, BodyHandlers.ofString()).statusCode()).isEqualTo(413);
            } catch (java.io.IOException closedWhileSending) {
                // The server may close the connection before the client has sent the whole body: refused too.
            }
            try (Stream<Path> files = Files.list(dir.resolve("firmware"))) {
                assertThat(files).isEmpty();
            }

            assertProblem(upload(server, "", "1.0.0", new byte[10]), 400, "name");
            JsonNode ok = upload(server, "small", "1.0.0", new byte[1000]).json();
            assertProblem(upload(server, "small", "1.0.0", new byte[1000]), 409, "version");
            assertThat(server.api().delete("/api/v1/firmware/" + ok.get("id").asLong()).status()).isEqualTo(204);
        }
    }

    private static Api.Reply upload(TestServer server, String name, String version, byte[] bytes) throws Exception {
        HttpRequest request = server.api().request("/api/v1/firmware?name=" + name + "&version="
                + version + "&models=SIM-EM-1").header("Content-Type", "application/octet-stream")
                .POST(BodyPublishers.ofByteArray(bytes)).build();
        var response = server.api().http().send(request, BodyHandlers.ofString());
        String type = response.headers().firstValue("Content-Type").orElse("");
        return new Api.Reply(response.statusCode(), type, response.body(),
                response.body().isEmpty() ? null : Json.MAPPER.readTree(response.body()));
    }

    /**
     * Sends only the head of an upload declaring {@code declaredLength} bytes, with {@code Expect: 100-continue} as
     * curl sends large bodies, and returns the whole answer. (A client that sends the body at once may lose the 413 to
     * the reset of a connection closed with its body unread; the JDK 17 client hangs on a refused Expect.)
     */
    private static String headOfUpload(TestServer server, int declaredLength) throws Exception {
        URI uri = server.api().uri("/api/v1/firmware?name=big&version=1.0.0");
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            String head = "POST " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\n"
                    + "Host: " + uri.getAuthority() + "\r\n"
                    + "Authorization: Bearer " + server.api().token() + "\r\n"
                    + "Content-Type: application/octet-stream\r\n"
                    + "Content-Length: " + declaredLength + "\r\n"
                    + "Expect: 100-continue\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // The refusal closes the connection, which ends the answer.
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
