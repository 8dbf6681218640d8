package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.leshan.core.ResponseCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * DTLS Connection ID (RFC 9146), on by default: a device behind a NAT whose source port changes keeps its session
 * (no handshake), its next Update is answered, the registry shows its new address, and the server's own requests
 * reach it there.
 */
class ConnectionIdTest {

    private static final String SECRET = "connection-id-test";

    @Test
    void aDeviceWhoseNatPortChangesKeepsItsSessionAndItsRegistration(@TempDir Path dir) throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data")); Devices devices = new Devices()) {
            byte[] key = FleetCredentials.pskKey(SECRET, "cid-1");
            Devices.provisionPsk(server.api(), "cid-1", "cid-1", key);
            SimulatedDevice device = devices.started(SimulatedDevice.builder("cid-1", Profile.WATER_METER)
                    .serverUri(server.server().coapsUri()).security(DeviceSecurity.psk("cid-1", key))
                    .connectionId(true).behindNat(true).build());
            JsonNode online = RegistryLifecycleTest.awaitStatus(server, "cid-1", "online");
            int before = device.natSourcePort();
            assertThat(online.at("/registration/peerAddress").asText()).isEqualTo("127.0.0.1:" + before);
            assertThat(DtlsStateTest.handshakes(server)).isEqualTo(1);

            int after = device.rebindSourcePort();
            assertThat(after).isNotEqualTo(before);
            var answer = DtlsStateTest.nextUpdateAnswer(device);
            device.client().triggerRegistrationUpdate();

            assertThat(answer.get(20, TimeUnit.SECONDS)).isEqualTo(ResponseCode.CHANGED);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.api().get("/api/v1/devices/cid-1").json()
                    .at("/registration/peerAddress").asText(), ("127.0.0.1:" + after)::equals);
            assertThat(DtlsStateTest.peer(server, "cid-1").getPort()).isEqualTo(after);
            // The server's requests go to the new address, on the same session.
            Api.Reply read = server.api().get("/api/v1/devices/cid-1/objects/3/0");
            assertThat(read.status()).as(read.text()).isEqualTo(200);
            assertThat(DtlsStateTest.handshakes(server)).as("no handshake for the move").isEqualTo(1);
            assertThat(device.registrationCount()).as("no new registration").isEqualTo(1);
        }
    }
}
