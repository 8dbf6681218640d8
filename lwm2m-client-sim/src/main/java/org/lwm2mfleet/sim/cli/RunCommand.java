package org.lwm2mfleet.sim.cli;

import java.net.URI;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SecurityMode;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code run}: one simulated device until Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run one simulated device until stopped (Ctrl-C de-registers it).")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--server", required = true, paramLabel = "URI", description = "coap://host:5683 or coaps://host:5684")
    URI server;

    @Option(names = "--endpoint", required = true, description = "Endpoint name of the device.")
    String endpoint;

    @Option(names = "--profile", defaultValue = "environment-sensor",
            description = "electricity-meter, water-meter, environment-sensor, gas-detector or ventilation-fan (default: ${DEFAULT-VALUE}).")
    String profile;

    @Mixin
    SecurityOptions security;

    @Option(names = "--psk-identity", description = "PSK identity (default: the endpoint).")
    String pskIdentity;

    @Option(names = "--psk-key", paramLabel = "HEX", description = "PSK in hex (default: derived from --fleet-secret).")
    String pskKey;

    @Option(names = "--lifetime", defaultValue = "PT5M", paramLabel = "DURATION",
            description = "Registration lifetime, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration lifetime;

    @Option(names = "--queue-mode", paramLabel = "WAKE_INTERVAL",
            description = "Sleep (LwM2M queue mode) and wake this often to update the registration, ISO-8601, e.g. PT60S.")
    Duration wakeInterval;

    @Override
    public Integer call() throws InterruptedException {
        DeviceSecurity deviceSecurity;
        if (security.mode() == SecurityMode.PSK && pskKey != null) {
            deviceSecurity = DeviceSecurity.psk(pskIdentity != null ? pskIdentity : endpoint,
                    HexFormat.of().parseHex(pskKey));
        } else {
            if (security.mode() != SecurityMode.NONE && security.fleetSecret == null) {
                System.err.println("--fleet-secret (or --psk-key for psk) is required for --security " + security.security);
                return 2;
            }
            deviceSecurity = DeviceSecurity.forFleet(security.mode(), security.fleetSecret, endpoint,
                    security.serverPublicKey(), security.serverCertificate());
        }
        SimulatedDevice device = SimulatedDevice.builder(endpoint, Profile.parse(profile)).serverUri(server)
                .security(deviceSecurity).lifetime(lifetime).queueMode(wakeInterval).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            device.destroy();
            stopped.countDown();
        }));
        device.start();
        // Tell observers every 15 s that time-varying values moved, as a fleet does for its devices.
        var ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tick");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(device::tick, 15, 15, java.util.concurrent.TimeUnit.SECONDS);
        System.out.printf("%s (%s) running against %s; Ctrl-C to stop%n", endpoint, profile, server);
        stopped.await();
        return 0;
    }
}
