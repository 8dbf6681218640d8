package org.lwm2mfleet.sim.cli;

import java.net.URI;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetSpec;
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

    @Option(names = "--server", required = true, paramLabel = "URI",
            description = "Server to register with: coap://host:5683 or coaps://host:5684.")
    URI server;

    @Option(names = "--endpoint", required = true, description = "Endpoint name of the device.")
    String endpoint;

    @Option(names = "--profile", defaultValue = "environment-sensor", paramLabel = "PROFILE",
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

    @Option(names = "--firmware-version", defaultValue = "1.0.0", paramLabel = "VERSION",
            description = "Firmware version the device reports in /3/0/3 (default: ${DEFAULT-VALUE}).")
    String firmwareVersion;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the value models (default: from the endpoint name).")
    Long seed;

    @Option(names = "--tick-interval", defaultValue = "PT15S", paramLabel = "DURATION",
            description = "How often observers hear that time-varying values moved, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration tickInterval;

    @Option(names = "--queue-mode", paramLabel = "WAKE_INTERVAL",
            description = "Sleep (LwM2M queue mode) and wake this often to update the registration, ISO-8601, e.g. PT60S.")
    Duration wakeInterval;

    @Option(names = "--gas-events", paramLabel = "PERIOD",
            description = "Gas detectors smell gas this often, ISO-8601, e.g. PT3M: the concentration ramps past 50 ppm for 30 s and decays, for rules to act on (default: never).")
    Duration gasEvents;

    @Option(names = "--cid", description = "Use DTLS Connection ID (RFC 9146), so the session survives an address change.")
    boolean connectionId;

    @Option(names = "--nat-rebind-interval", paramLabel = "DURATION",
            description = "Talk through a NAT of its own whose source port changes this often, ISO-8601, e.g. PT2M (default: no NAT).")
    Duration natRebindInterval;

    @Override
    public Integer call() throws InterruptedException {
        SecurityMode mode = security.mode();
        DeviceSecurity deviceSecurity;
        if (mode == SecurityMode.PSK && pskKey != null) {
            deviceSecurity = DeviceSecurity.psk(pskIdentity != null ? pskIdentity : endpoint,
                    HexFormat.of().parseHex(pskKey));
        } else if (mode != SecurityMode.NONE && security.fleetSecret == null) {
            System.err.println("--fleet-secret (or --psk-key for psk) is required for --security " + security.security);
            return 2;
        } else {
            deviceSecurity = security.forFleet(endpoint);
        }
        // One thread for Leshan's timers and the ticks, as a fleet shares its scheduler among its devices.
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "sim-" + endpoint);
            thread.setDaemon(true);
            return thread;
        });
        SimulatedDevice.Builder builder = SimulatedDevice.builder(endpoint, Profile.parse(profile)).serverUri(server)
                .security(deviceSecurity).lifetime(lifetime).firmwareVersion(firmwareVersion)
                .sharedExecutor(scheduler).queueMode(wakeInterval).connectionId(connectionId)
                .behindNat(natRebindInterval != null);
        if (seed != null) {
            builder.seed(seed);
        }
        SimulatedDevice device = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            device.destroy();
            scheduler.shutdownNow();
            stopped.countDown();
        }));
        device.start();
        long tick = (tickInterval != null ? tickInterval : FleetSpec.DEFAULT_TICK).toMillis();
        scheduler.scheduleAtFixedRate(device::tick, tick, tick, TimeUnit.MILLISECONDS);
        GasEvents.schedule(scheduler, gasEvents, () -> java.util.List.of(device));
        if (natRebindInterval != null) {
            long period = natRebindInterval.toMillis();
            scheduler.scheduleAtFixedRate(() -> System.out.printf("%s: NAT source port now %d%n", endpoint,
                    device.rebindSourcePort()), period, period, TimeUnit.MILLISECONDS);
        }
        System.out.printf("%s (%s, %s) running against %s; Ctrl-C to stop%n", endpoint, profile, mode, server);
        stopped.await();
        return 0;
    }
}
