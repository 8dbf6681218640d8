package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.peer.IpPeer;
import org.eclipse.leshan.core.request.UpdateRequest;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * DTLS sessions survive a graceful restart: the server saves Scandium's connections at stop (encrypted, owner-only)
 * and loads them at start, and the devices' next requests are answered on their sessions, with no handshake. State
 * older than the maximum age, or with saving off, is not used.
 * <p>
 * What is checked here is the DTLS side (the Update after the restart is accepted with 2.04, or 4.04 should the
 * registration be gone); that registrations are kept is RegistrationRestartTest's.
 */
class DtlsStateTest {

    private static final String SECRET = "dtls-state-test";

    @TempDir
    Path dir;
    Devices devices;

    @BeforeEach
    void devices() {
        devices = new Devices();
    }

    @AfterEach
    void stopDevices() {
        devices.close();
    }

    @Test
    void afterAGracefulRestartDevicesGoOnWithoutAHandshake() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"))) {
            List<SimulatedDevice> fleet = List.of(devices.startPsk(server, SECRET, "state-1", Profile.WATER_METER),
                    devices.startPsk(server, SECRET, "state-2", Profile.ELECTRICITY_METER));
            assertThat(handshakes(server)).as("the counter sees the two first handshakes").isEqualTo(2);
            Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
            for (SimulatedDevice device : fleet) {
                addresses.put(device.endpoint(), peer(server, device.endpoint()));
            }

            server.restart(() -> {
                Path state = server.dataDir().resolve("dtls-state.bin");
                Path key = server.dataDir().resolve("keys").resolve("dtls-state.key");
                try {
                    assertThat(state).exists();
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state)))
                            .isEqualTo("rw-------");
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                            .isEqualTo("rw-------");
                    // Encrypted: not even the PSK identities are readable in it.
                    assertThat(new String(Files.readAllBytes(state), StandardCharsets.ISO_8859_1))
                            .doesNotContain("state-1").doesNotContain("state-2");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });

            assertThat(server.dataDir().resolve("dtls-state.bin"))
                    .as("read once, then deleted: a later crash must not load the same state again").doesNotExist();
            addresses.forEach((endpoint, address) -> assertThat(connector(server).getSessionByAddress(address))
                    .as("session of %s loaded", endpoint).isNotNull());

            List<CompletableFuture<ResponseCode>> answers = new ArrayList<>();
            for (SimulatedDevice device : fleet) {
                answers.add(nextUpdateAnswer(device));
                device.client().triggerRegistrationUpdate();
            }
            // Without the saved session the server drops the device's records and the Update times out (minutes).
            for (CompletableFuture<ResponseCode> answer : answers) {
                assertThat(answer.get(20, java.util.concurrent.TimeUnit.SECONDS)).isIn(ResponseCode.CHANGED,
                        ResponseCode.NOT_FOUND);
            }
            for (SimulatedDevice device : fleet) {
                await().atMost(Duration.ofSeconds(20)).until(device::isRegistered);
                RegistryLifecycleTest.awaitStatus(server, device.endpoint(), "online");
            }
            assertThat(handshakes(server)).as("full or abbreviated handshakes after the restart").isZero();
        }
    }

    @Test
    void stateOlderThanTheMaximumAgeIsNotLoaded() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (TestServer server = TestServer.start(dir.resolve("data"), clock,
                c -> c.dtlsStateMaxAge(Duration.ofHours(1)))) {
            devices.startPsk(server, SECRET, "stale-1", Profile.WATER_METER);
            InetSocketAddress address = peer(server, "stale-1");

            server.restart(() -> {
                assertThat(server.dataDir().resolve("dtls-state.bin")).exists();
                clock.advance(Duration.ofHours(2));
            });

            assertThat(connector(server).getSessionByAddress(address)).isNull();
            assertThat(server.dataDir().resolve("dtls-state.bin")).doesNotExist();
        }
    }

    @Test
    void aChangedStateFileIsRefusedAndTheServerStarts() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"))) {
            devices.startPsk(server, SECRET, "tampered-1", Profile.WATER_METER);
            InetSocketAddress address = peer(server, "tampered-1");

            server.restart(() -> {
                Path state = server.dataDir().resolve("dtls-state.bin");
                try {
                    byte[] bytes = Files.readAllBytes(state);
                    bytes[bytes.length / 2] ^= 0x01;
                    Files.write(state, bytes);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });

            assertThat(connector(server).getSessionByAddress(address)).as("nothing of a changed file is loaded")
                    .isNull();
            assertThat(server.api().get("/health").status()).isEqualTo(200);
        }
    }

    @Test
    void aZeroMaximumAgeSavesNothing() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"), c -> c.dtlsStateMaxAge(Duration.ZERO))) {
            devices.startPsk(server, SECRET, "unsaved-1", Profile.WATER_METER);
            InetSocketAddress address = peer(server, "unsaved-1");

            server.restart(() -> assertThat(server.dataDir().resolve("dtls-state.bin")).doesNotExist());

            assertThat(connector(server).getSessionByAddress(address)).isNull();
        }
    }

    /** The answer to the device's next Update: its response code, or null when it timed out. */
    static CompletableFuture<ResponseCode> nextUpdateAnswer(SimulatedDevice device) {
        CompletableFuture<ResponseCode> answer = new CompletableFuture<>();
        device.client().addObserver(new LwM2mClientObserverAdapter() {
            @Override
            public void onUpdateSuccess(LwM2mServer server, UpdateRequest request) {
                answer.complete(ResponseCode.CHANGED);
            }

            @Override
            public void onUpdateFailure(LwM2mServer server, UpdateRequest request, ResponseCode code,
                    String message, Exception cause) {
                answer.complete(code);
            }

            @Override
            public void onUpdateTimeout(LwM2mServer server, UpdateRequest request) {
                answer.complete(null);
            }
        });
        return answer;
    }

    /** {@code lwm2m_dtls_handshakes_total}, every kind, of the running server. */
    static double handshakes(TestServer server) {
        return Metrics.sum(server.api().get("/metrics").text(), "lwm2m_dtls_handshakes_total");
    }

    /** The device's address as the server sees it (its registration's peer). */
    static InetSocketAddress peer(TestServer server, String endpoint) {
        return ((IpPeer) server.server().leshan().getRegistrationService().getByEndpoint(endpoint)
                .getClientTransportData()).getSocketAddress();
    }

    static DTLSConnector connector(TestServer server) {
        return (DTLSConnector) ((CaliforniumServerEndpoint) server.server().leshan().getEndpoint(Protocol.COAPS))
                .getCoapEndpoint().getConnector();
    }
}
