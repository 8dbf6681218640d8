package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SecurityMode;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The download link of a device registered over DTLS is served to that device over DTLS, and refused (4.03) to
 * anyone asking for it over plain CoAP, whole or block by block.
 */
class FirmwareLinkSecurityTest {

    private static final String SECRET = "firmware-link-security-test";
    private static final byte[] IMAGE = new byte[40_000];

    @TempDir
    static Path dir;
    static TestServer server;
    static long imageId;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.trustingFleetCa(dir, SECRET);
        new java.util.Random(3).nextBytes(IMAGE);
        var upload = server.api().request("/api/v1/firmware?name=link-fw&version=4.0.0")
                .header("Content-Type", "application/octet-stream")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(IMAGE)).build();
        JsonNode image = Json.MAPPER.readTree(server.api().http()
                .send(upload, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        imageId = image.get("id").asLong();
        assertThat(image.get("uploadedBy").asText()).isEqualTo("admin/token:tests");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @ParameterizedTest
    @EnumSource(value = SecurityMode.class, names = { "PSK", "RPK", "X509" })
    void aDtlsDevicesLinkIsRefusedOverPlainCoapAndServedToTheDeviceOverDtls(SecurityMode mode) throws Exception {
        String endpoint = "link-" + mode.name().toLowerCase();
        provision(endpoint, mode);
        try (Devices devices = new Devices()) {
            SimulatedDevice device = devices.start(endpoint, Profile.GAS_DETECTOR, server.server().coapsUri(),
                    DeviceSecurity.forFleet(mode, SECRET, endpoint, server.server().identity().publicKey(),
                            server.server().identity().certificate()));
            RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
            // The device downloads the whole image over DTLS, then waits: its link stays valid meanwhile.
            CompletableFuture<Void> gate = new CompletableFuture<>();
            device.firmware().holdDownloaded(gate);
            Api.Reply started = server.api().post("/api/v1/devices/" + endpoint + "/firmware-updates",
                    "{\"imageId\":" + imageId + "}");
            assertThat(started.status()).as(started.text()).isEqualTo(202);
            long updateId = started.json().get("id").asLong();
            await().atMost(Duration.ofSeconds(30)).until(() -> device.firmware().holdingDownloaded());

            URI link = URI.create(server.api().get("/api/v1/devices/" + endpoint + "/objects/5/0/1").json()
                    .get("value").asText());
            assertThat(link.getScheme()).isEqualTo("coaps");
            String plain = "coap://127.0.0.1:" + server.server().coapPort() + link.getRawPath() + "?"
                    + link.getRawQuery();
            double refusedBefore = refusals();

            CoapClient client = new CoapClient(plain);
            client.setTimeout(10_000L);
            try {
                CoapResponse whole = client.get();
                assertThat(whole).isNotNull();
                assertThat(whole.getCode()).isEqualTo(ResponseCode.FORBIDDEN);
                assertThat(whole.getPayload()).isEmpty();
                // A block in the middle, asked for directly (random access), is refused the same way.
                Request block = Request.newGet();
                block.setURI(plain);
                block.getOptions().setBlock2(6, false, 10);
                CoapResponse middle = client.advanced(block);
                assertThat(middle.getCode()).isEqualTo(ResponseCode.FORBIDDEN);
                assertThat(middle.getPayload()).isEmpty();
            } finally {
                client.shutdown();
            }
            assertThat(refusals() - refusedBefore).isEqualTo(2);

            // The device itself got every byte, block by block from the file, over DTLS.
            gate.complete(null);
            JsonNode done = await().atMost(Duration.ofSeconds(30)).until(
                    () -> server.api().get("/api/v1/firmware-updates/" + updateId).json(),
                    u -> Stream.of("succeeded", "failed").anyMatch(s -> s.equals(u.at("/update/status").asText())));
            assertThat(done.at("/update/status").asText()).as(done.toString()).isEqualTo("succeeded");
            assertThat(sha256(device.firmware().image())).isEqualTo(sha256(IMAGE));

            // The operator asked for the update, so the delivery is theirs; what the update does for itself is not.
            JsonNode log = server.api().get("/api/v1/devices/" + endpoint + "/operations?limit=100").json()
                    .get("items");
            assertThat(requesters(log, "write", "/5/0/1")).containsOnly("admin/token:tests");
            assertThat(requesters(log, "observe", "/5/0/3")).containsOnly("server");
            assertThat(requesters(log, "observe", "/5/0/5")).containsOnly("server");
            assertThat(requesters(log, "execute", "/5/0/2")).containsOnly("server");
        }
    }

    private static java.util.List<String> requesters(JsonNode log, String operation, String target) {
        java.util.List<String> who = new java.util.ArrayList<>();
        log.forEach(entry -> {
            if (operation.equals(entry.path("operation").asText()) && target.equals(entry.path("target").asText())) {
                who.add(entry.path("requestedBy").asText());
            }
        });
        assertThat(who).as(operation + " " + target + " in " + log).isNotEmpty();
        return who;
    }

    private static double refusals() {
        String scrape = server.api().get("/metrics").text();
        return scrape.lines().filter(l -> l.startsWith("lwm2m_firmware_downloads_refused_total{")
                && l.contains("reason=\"plain-coap\"")).mapToDouble(l -> Double.parseDouble(l.substring(
                        l.lastIndexOf(' ') + 1))).sum();
    }

    private static void provision(String endpoint, SecurityMode mode) {
        String credentials = switch (mode) {
        case PSK -> "{\"kind\":\"psk\",\"identity\":\"" + FleetCredentials.pskIdentity(endpoint) + "\",\"key\":\""
                + Devices.hex(FleetCredentials.pskKey(SECRET, endpoint)) + "\"}";
        case RPK -> "{\"kind\":\"rpk\",\"publicKey\":\"" + Base64.getEncoder().encodeToString(
                FleetCredentials.rpkKeyPair(SECRET, endpoint).getPublic().getEncoded()) + "\"}";
        case X509 -> "{\"kind\":\"x509\"}";
        case NONE -> throw new IllegalArgumentException("not a DTLS mode");
        };
        Api.Reply reply = server.api().post("/api/v1/devices", "{\"endpoint\":\"" + endpoint
                + "\",\"credentials\":" + credentials + "}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
