package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Random;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * Hostile input from the network and from the web: the server answers it sensibly, keeps serving a healthy device,
 * and stores nothing it should not. Traffic goes to 127.0.0.1 only, bounded in count.
 */
class HostileInputTest {

    private static final String SECRET = "hostile-input-test";

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.allowUnknownCoap(true));
        devices.startPsk(server, SECRET, "healthy-h", Profile.ENVIRONMENT_SENSOR);
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @AfterEach
    void healthyDeviceStillServed() {
        Api.Reply read = server.api().get("/api/v1/devices/healthy-h/objects/3/0/0");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        assertThat(server.api().get("/health").json().get("status").asText()).isEqualTo("UP");
    }

    @Test
    void randomAndMutatedCoapDatagramsAreSurvived() throws Exception {
        // A short fuzzing run: random datagrams, and a valid CoAP header with random options and payload.
        long devicesBefore = deviceCount();
        Random random = new Random(42);
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 2_000; i++) {
                byte[] datagram = new byte[4 + random.nextInt(300)];
                random.nextBytes(datagram);
                if (i % 2 == 0) {
                    datagram[0] = (byte) (0x40 | (datagram[0] & 0x07)); // version 1, confirmable, short token
                    datagram[1] = (byte) (random.nextBoolean() ? 0x02 : 0x01); // POST or GET
                }
                int port = i % 3 == 0 ? server.server().coapsPort() : server.server().coapPort();
                socket.send(new DatagramPacket(datagram, datagram.length, InetAddress.getLoopbackAddress(), port));
            }
        }
        // The endpoint lived through the fuzz (a CoAP ping sent after it is answered), and no datagram made a device.
        CoapClient ping = new CoapClient("coap://127.0.0.1:" + server.server().coapPort());
        try {
            assertThat(ping.ping(10_000)).isTrue();
        } finally {
            ping.shutdown();
        }
        assertThat(deviceCount()).isEqualTo(devicesBefore);
    }

    private static long deviceCount() {
        return server.api().get("/api/v1/fleet/stats").json().at("/devices/total").asLong();
    }

    @Test
    void truncatedDtlsRecordsAreDropped() throws Exception {
        // A DTLS 1.2 handshake record header that promises more than it carries.
        byte[] truncated = { 0x16, (byte) 0xFE, (byte) 0xFD, 0, 0, 0, 0, 0, 0, 0, 1, 0x40, 0x00, 0x01, 0x02 };
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 50; i++) {
                socket.send(new DatagramPacket(truncated, truncated.length, InetAddress.getLoopbackAddress(),
                        server.server().coapsPort()));
            }
        }
        // The DTLS endpoint still takes a new device through a full handshake and registration.
        devices.startPsk(server, SECRET, "after-truncated-h", Profile.ENVIRONMENT_SENSOR);
    }

    @Test
    void absurdRegistrationsAreRefused() throws Exception {
        String rd = "coap://127.0.0.1:" + server.server().coapPort() + "/rd";
        CoapClient client = new CoapClient(rd + "?ep=absurd-lifetime&lt=-5&lwm2m=1.1");
        try {
            CoapResponse negative = client.post("</3/0>", MediaTypeRegistry.APPLICATION_LINK_FORMAT);
            // Malformed, not forbidden (MalformedRegistrationTest has the other malformed parameters).
            assertThat(negative.getCode()).isEqualTo(ResponseCode.BAD_REQUEST);

            StringBuilder links = new StringBuilder();
            for (int i = 0; i < 5_000; i++) {
                links.append(i == 0 ? "" : ",").append("</").append(3300 + i % 100).append('/').append(i).append('>');
            }
            client.setURI(rd + "?ep=huge-links&lt=300&lwm2m=1.1");
            CoapResponse huge = client.post(links.toString(), MediaTypeRegistry.APPLICATION_LINK_FORMAT);
            // About 50 KB of links: past the registration body limit (16 KiB), refused before it is parsed.
            assertThat(huge.getCode()).isEqualTo(ResponseCode.REQUEST_ENTITY_TOO_LARGE);
            assertThat(server.api().get("/api/v1/devices/huge-links").status()).isEqualTo(404);
        } finally {
            client.shutdown();
        }
        assertThat(server.api().get("/api/v1/devices/absurd-lifetime").status()).isEqualTo(404);
    }

    @Test
    void hostileRestInputIsRefusedAndHarmless() {
        String nested = "[".repeat(5_000) + "]".repeat(5_000);
        assertProblem(server.api().post("/api/v1/devices", nested), 400, "body");
        assertProblem(server.api().post("/api/v1/devices", "[1, 2, 3]"), 400, "body");
        assertProblem(server.api().post("/api/v1/devices", "\"just a string\""), 400, "body");

        // SQL metacharacters are data, never SQL.
        Api.Reply injection = server.api().get("/api/v1/devices?q=%27%20OR%201%3D1%20--");
        assertThat(injection.status()).isEqualTo(200);
        assertThat(injection.json().get("items").size()).isZero();
        assertProblem(server.api().post("/api/v1/devices",
                "{\"endpoint\":\"x'; DROP TABLE devices; --\",\"credentials\":{\"kind\":\"none\"}}"), 400, "endpoint");
        assertThat(server.api().get("/api/v1/devices/healthy-h").status()).isEqualTo(200);

        // Path traversal reaches nothing.
        assertThat(server.api().get("/../../../../etc/passwd").status()).isIn(400, 404);
        assertThat(server.api().get("/%2e%2e/%2e%2e/etc/passwd").status()).isIn(400, 404);
        assertThat(server.api().get("/api/v1/devices/..%2F..%2Fetc%2Fpasswd").status()).isIn(400, 404);
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() {
        for (String path : new String[] { "/", "/api/v1/devices", "/api/v1/nothing", "/health" }) {
            Api.Reply reply = server.api().get(path);
            assertThat(reply.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(reply.headers().firstValue("Content-Security-Policy").orElse("")).as(path)
                    .contains("frame-ancestors 'none'");
            assertThat(reply.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
        }
    }
}
