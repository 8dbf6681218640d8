package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;

import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.dtls.cipher.XECDHECryptography.SupportedGroup;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.peer.IpPeer;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** Registration over CoAP and over DTLS with PSK, RPK and X.509, each ending with the device online over REST. */
class SecureRegistrationTest {

    private static final String SECRET = "secure-registration-test";

    @TempDir
    static Path dir;
    static TestServer server;
    Devices devices;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.trustingFleetCa(dir, SECRET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void devices() {
        devices = new Devices();
    }

    @AfterEach
    void stopDevices() {
        devices.close();
    }

    @Test
    void registersOverPlainCoapWhenProvisionedWithoutSecurity() {
        provision("{\"endpoint\":\"coap-1\",\"credentials\":{\"kind\":\"none\"}}");
        devices.start("coap-1", Profile.ENVIRONMENT_SENSOR, server.server().coapUri(), DeviceSecurity.none());

        JsonNode device = awaitOnline("coap-1");
        assertThat(device.at("/registration/securityMode").asText()).isEqualTo("none");
        assertManufacturerReadable("coap-1");
    }

    @Test
    void registersWithPskAndAppearsInDeviceList() {
        byte[] key = FleetCredentials.pskKey(SECRET, "psk-1");
        provision("{\"endpoint\":\"psk-1\",\"tags\":[\"meters\"],\"label\":\"Kitchen meter\","
                + "\"credentials\":{\"kind\":\"psk\",\"identity\":\"psk-1\",\"key\":\"" + Devices.hex(key) + "\"}}");
        devices.start("psk-1", Profile.ELECTRICITY_METER, server.server().coapsUri(),
                DeviceSecurity.psk("psk-1", key));

        JsonNode device = awaitOnline("psk-1");
        assertThat(device.at("/registration/securityMode").asText()).isEqualTo("psk");
        assertThat(device.at("/registration/objects").findValuesAsText("name")).contains("Device");
        JsonNode list = server.api().get("/api/v1/devices?status=online&tag=meters").json();
        assertThat(list.get("items").findValuesAsText("endpoint")).containsExactly("psk-1");
        assertThat(list.at("/items/0/label").asText()).isEqualTo("Kitchen meter");
        assertManufacturerReadable("psk-1");
    }

    @Test
    void registersWithRpk() {
        KeyPair keys = FleetCredentials.rpkKeyPair(SECRET, "rpk-1");
        provision("{\"endpoint\":\"rpk-1\",\"credentials\":{\"kind\":\"rpk\",\"publicKey\":\""
                + Base64.getEncoder().encodeToString(keys.getPublic().getEncoded()) + "\"}}");
        devices.start("rpk-1", Profile.WATER_METER, server.server().coapsUri(),
                DeviceSecurity.rpk(keys, server.server().identity().publicKey()));

        JsonNode device = awaitOnline("rpk-1");
        assertThat(device.at("/registration/securityMode").asText()).isEqualTo("rpk");
        assertManufacturerReadable("rpk-1");
        // The device lists secp256r1 before X25519 (Scandium's client default); the server still takes X25519.
        assertThat(negotiatedCurve("rpk-1")).isEqualTo(SupportedGroup.X25519);
    }

    @Test
    void registersWithX509() {
        provision("{\"endpoint\":\"x509-1\",\"credentials\":{\"kind\":\"x509\"}}");
        devices.start("x509-1", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.x509(FleetCredentials.rpkKeyPair(SECRET, "x509-1"),
                        FleetCredentials.deviceCertificate(SECRET, "x509-1"), server.server().identity().certificate()));

        JsonNode device = awaitOnline("x509-1");
        assertThat(device.at("/registration/securityMode").asText()).isEqualTo("x509");
        assertManufacturerReadable("x509-1");
    }

    private static void provision(String json) {
        Api.Reply reply = server.api().post("/api/v1/devices", json);
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
        assertThat(reply.text()).doesNotContain("\"key\"");
    }

    private static JsonNode awaitOnline(String endpoint) {
        return await().atMost(Duration.ofSeconds(20)).until(
                () -> server.api().get("/api/v1/devices/" + endpoint).json(),
                json -> json != null && "online".equals(json.path("status").asText()));
    }

    private static void assertManufacturerReadable(String endpoint) {
        Api.Reply read = server.api().get("/api/v1/devices/" + endpoint + "/objects/3/0");
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        JsonNode manufacturer = Resources.byPath(read.json(), "/3/0/0");
        assertThat(manufacturer.get("name").asText()).isEqualTo("Manufacturer");
        assertThat(manufacturer.get("value").asText()).isEqualTo("LwM2M Fleet Sim");
    }

    /** The ECDHE curve of the server's DTLS session with the device. */
    private static SupportedGroup negotiatedCurve(String endpoint) {
        IpPeer peer = (IpPeer) server.server().leshan().getRegistrationService().getByEndpoint(endpoint)
                .getClientTransportData();
        CaliforniumServerEndpoint coaps = (CaliforniumServerEndpoint) server.server().leshan()
                .getEndpoint(Protocol.COAPS);
        return ((DTLSConnector) coaps.getCoapEndpoint().getConnector()).getSessionByAddress(peer.getSocketAddress())
                .getEcGroup();
    }
}
