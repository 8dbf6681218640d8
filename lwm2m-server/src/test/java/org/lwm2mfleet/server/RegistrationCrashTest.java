package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.RegistrationRestartTest.observe;
import static org.lwm2mfleet.server.RegistrationRestartTest.pointsSince;
import static org.lwm2mfleet.server.RegistrationRestartTest.registeredSinceStart;
import static org.lwm2mfleet.server.RegistrationRestartTest.registrationId;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.request.UpdateRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * Registrations survive {@code kill -9}: the server in a child JVM is killed right after its devices registered and
 * were observed, another starts on the same data folder and ports, and the devices' next Updates are accepted with
 * their registration ids while their observations keep storing points.
 */
class RegistrationCrashTest {

    private static final String SECRET = "registration-crash-test";

    @TempDir
    Path dir;

    @Test
    void registrationsAndObservationsSurviveKillMinus9() throws Exception {
        Path data = dir.resolve("data");
        int coapPort = freeUdpPort();
        int coapsPort = freeUdpPort();
        URI coap = URI.create("coap://127.0.0.1:" + coapPort);
        URI coaps = URI.create("coaps://127.0.0.1:" + coapsPort);
        byte[] key = FleetCredentials.pskKey(SECRET, "crash-psk");
        try (Devices devices = new Devices()) {
            SimulatedDevice plain;
            SimulatedDevice psk;
            String plainId;
            String pskId;
            try (ChildServer first = ChildServer.start(data, coapPort, coapsPort)) {
                Api admin = first.admin();
                assertThat(admin.post("/api/v1/devices",
                        "{\"endpoint\":\"crash-plain\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
                Devices.provisionPsk(admin, "crash-psk", "crash-psk", key);
                plain = devices.start("crash-plain", Profile.ENVIRONMENT_SENSOR, coap, DeviceSecurity.none());
                psk = devices.started(SimulatedDevice.builder("crash-psk", Profile.ENVIRONMENT_SENSOR).serverUri(coaps)
                        .security(DeviceSecurity.psk("crash-psk", key)).lifetime(Duration.ofSeconds(300))
                        .reconnectOnUpdate(true).build());
                awaitOnline(admin, "crash-plain");
                awaitOnline(admin, "crash-psk");
                plainId = registrationId(admin, "crash-plain");
                pskId = registrationId(admin, "crash-psk");
                observe(admin, "crash-plain");
                observe(admin, "crash-psk");
                // No wait for points: the observations were stored before the device was asked.
                first.kill();
            }
            AtomicInteger plainUpdates = updatesOf(plain);
            AtomicInteger pskUpdates = updatesOf(psk);

            try (ChildServer second = ChildServer.start(data, coapPort, coapsPort)) {
                Instant restarted = Instant.now();
                Api admin = second.admin();
                plain.client().triggerRegistrationUpdate();
                psk.client().triggerRegistrationUpdate();
                await().atMost(Duration.ofSeconds(30)).until(() -> plainUpdates.get() >= 1 && pskUpdates.get() >= 1);
                await().atMost(Duration.ofSeconds(30)).until(() -> pointsSince(admin, "crash-plain", restarted) >= 2
                        && pointsSince(admin, "crash-psk", restarted) >= 2);

                assertThat(registrationId(admin, "crash-plain")).isEqualTo(plainId);
                assertThat(registrationId(admin, "crash-psk")).isEqualTo(pskId);
                assertThat(admin.get("/api/v1/devices/crash-psk").json().path("status").asText()).isEqualTo("online");
                assertThat(plain.registrationCount()).as("the device never registered again").isEqualTo(1);
                assertThat(psk.registrationCount()).as("the device never registered again").isEqualTo(1);
                assertThat(registeredSinceStart(admin)).isZero();
            }
        }
    }

    /** Updates the server answered 2.04, from now on. */
    private static AtomicInteger updatesOf(SimulatedDevice device) {
        AtomicInteger updates = new AtomicInteger();
        device.client().addObserver(new LwM2mClientObserverAdapter() {
            @Override
            public void onUpdateSuccess(LwM2mServer server, UpdateRequest request) {
                updates.incrementAndGet();
            }
        });
        return updates;
    }

    private static void awaitOnline(Api admin, String endpoint) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> "online".equals(admin.get("/api/v1/devices/" + endpoint).json().path("status").asText()));
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return socket.getLocalPort();
        }
    }
}
