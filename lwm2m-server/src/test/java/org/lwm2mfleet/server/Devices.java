package org.lwm2mfleet.server;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

/** Simulated devices for tests, stopped (with de-registration) when the test closes this. */
public final class Devices implements AutoCloseable {

    private final List<SimulatedDevice> started = new ArrayList<>();

    public SimulatedDevice start(String endpoint, Profile profile, URI server, DeviceSecurity security) {
        return start(endpoint, profile, server, security, Duration.ofSeconds(300));
    }

    public SimulatedDevice start(String endpoint, Profile profile, URI server, DeviceSecurity security,
            Duration lifetime) {
        SimulatedDevice device = SimulatedDevice.builder(endpoint, profile).serverUri(server).security(security)
                .lifetime(lifetime).build();
        started.add(device);
        device.start();
        return device;
    }

    /**
     * Provisions a PSK device whose key derives from {@code secret}, starts it over CoAPS and waits until the
     * registry shows it online.
     */
    public SimulatedDevice startPsk(TestServer server, String secret, String endpoint, Profile profile) {
        byte[] key = org.lwm2mfleet.sim.fleet.FleetCredentials.pskKey(secret, endpoint);
        provisionPsk(server.api(), endpoint, endpoint, key);
        SimulatedDevice device = start(endpoint, profile, server.server().coapsUri(), DeviceSecurity.psk(endpoint, key));
        RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        return device;
    }

    /** Starts a device built by the test, and stops it with the others. */
    public SimulatedDevice started(SimulatedDevice device) {
        started.add(device);
        device.start();
        return device;
    }

    /** Provisions a PSK device over REST and checks it was created. */
    public static void provisionPsk(Api api, String endpoint, String identity, byte[] key) {
        Api.Reply reply = api.post("/api/v1/devices", "{\"endpoint\":\"" + endpoint
                + "\",\"credentials\":{\"kind\":\"psk\",\"identity\":\"" + identity + "\",\"key\":\""
                + hex(key) + "\"}}");
        org.assertj.core.api.Assertions.assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() {
        for (SimulatedDevice device : started) {
            try {
                device.destroy();
            } catch (RuntimeException e) {
                // already stopped by the test
            }
        }
    }
}
