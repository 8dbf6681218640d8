package org.lwm2mfleet.sim.cli;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.lwm2mfleet.sim.fleet.FailureInjection;
import org.lwm2mfleet.sim.fleet.FleetSpec;
import org.lwm2mfleet.sim.fleet.SecurityMode;
import org.lwm2mfleet.sim.fleet.SimulatedFleet;
import org.lwm2mfleet.sim.objects.FirmwareFailure;
import org.lwm2mfleet.sim.profiles.Profile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fleet}: many simulated devices in this process until Ctrl-C. */
@Command(name = "fleet", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a fleet of simulated devices in this process until stopped (Ctrl-C de-registers them).")
final class FleetCommand implements Callable<Integer> {

    @Option(names = "--server", required = true, paramLabel = "URI",
            description = "Server to register with: coap://host:5683 or coaps://host:5684.")
    URI server;

    @Option(names = "--count", defaultValue = "10", description = "Number of devices (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--pattern", defaultValue = FleetSpec.DEFAULT_PATTERN,
            description = "Endpoint names, a String.format pattern numbered from 1 (default: ${DEFAULT-VALUE}).")
    String pattern;

    @Option(names = "--profiles", split = ",", paramLabel = "PROFILE",
            defaultValue = "electricity-meter,water-meter,environment-sensor,gas-detector,ventilation-fan",
            description = "Profiles, comma-separated, assigned round-robin (default: all five).")
    List<String> profiles;

    @Mixin
    SecurityOptions security;

    @Option(names = "--stagger", defaultValue = "PT10S", paramLabel = "DURATION",
            description = "Spread the starts over this time, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration stagger;

    @Option(names = "--lifetime", defaultValue = "PT5M", paramLabel = "DURATION",
            description = "Registration lifetime, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration lifetime;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the value models (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tick-interval", defaultValue = "PT15S", paramLabel = "DURATION",
            description = "How often observers hear that time-varying values moved, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration tickInterval;

    @Option(names = "--queue-mode", paramLabel = "WAKE_INTERVAL",
            description = "Devices sleep (LwM2M queue mode) and wake this often to update their registration, ISO-8601, e.g. PT60S.")
    Duration wakeInterval;

    @Option(names = "--send-interval", paramLabel = "DURATION",
            description = "Every device pushes its main values with LwM2M Send this often, ISO-8601, e.g. PT30S.")
    Duration sendInterval;

    @Option(names = "--firmware-failure", paramLabel = "FAILURE",
            description = "Inject a firmware update failure: not-enough-flash, connection-lost, integrity-check, update-failed, silent-in-updating.")
    String firmwareFailure;

    @Option(names = "--failure-probability", defaultValue = "0", paramLabel = "RATIO",
            description = "Share of the devices that get --firmware-failure, from 0 to 1 (default: ${DEFAULT-VALUE}).")
    double failureProbability;

    @Option(names = "--failing-endpoints", split = ",", paramLabel = "ENDPOINT",
            description = "Devices that get --firmware-failure whatever the probability.")
    Set<String> failingEndpoints;

    @Option(names = "--gas-events", paramLabel = "PERIOD",
            description = "Gas detectors smell gas this often, ISO-8601, e.g. PT3M: the concentration ramps past 50 ppm for 30 s and decays, for rules to act on (default: never).")
    Duration gasEvents;

    @Option(names = "--cid", description = "Devices use DTLS Connection ID (RFC 9146), so their sessions survive an address change.")
    boolean connectionId;

    @Option(names = "--nat-rebind-interval", paramLabel = "DURATION",
            description = "Each device talks through a NAT of its own whose source port changes this often, ISO-8601, e.g. PT2M (default: no NAT).")
    Duration natRebindInterval;

    @Override
    public Integer call() throws InterruptedException {
        SecurityMode mode = security.mode();
        if (mode != SecurityMode.NONE && security.fleetSecret == null) {
            System.err.println("--fleet-secret is required for --security " + security.security);
            return 2;
        }
        // Fails early, with the option to fix, when RPK or X.509 lacks the server's key or certificate.
        security.forFleet(String.format(pattern, 1));
        FleetSpec spec = FleetSpec.builder(server).endpointPattern(pattern).count(count)
                .profiles(profiles.stream().map(Profile::parse).toList())
                .security(mode, security.fleetSecret).serverPublicKey(security.serverPublicKey())
                .serverCertificate(security.serverCertificate()).lifetime(lifetime).stagger(stagger).seed(seed)
                .tickInterval(tickInterval).queueMode(wakeInterval).sendInterval(sendInterval)
                .connectionId(connectionId).natRebindInterval(natRebindInterval)
                .failures(firmwareFailure == null ? null : new FailureInjection(
                        FirmwareFailure.parse(firmwareFailure), failureProbability, failingEndpoints))
                .build();
        SimulatedFleet fleet = SimulatedFleet.create(spec);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fleet.close();
            stopped.countDown();
        }));
        fleet.start();
        java.util.concurrent.ScheduledExecutorService gas = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(r -> {
                    Thread thread = new Thread(r, "sim-gas-events");
                    thread.setDaemon(true);
                    return thread;
                });
        GasEvents.schedule(gas, gasEvents, fleet::devices);
        System.out.printf("fleet of %d devices (%s) starting against %s; Ctrl-C to stop%n", count, mode, server);
        stopped.await();
        return 0;
    }
}
