package org.lwm2mfleet.server.demo;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.lwm2mfleet.server.device.Credentials;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.device.NewDevice;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.lwm2m.ServerIdentity;
import org.lwm2mfleet.sim.fleet.FailureInjection;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.FleetSpec;
import org.lwm2mfleet.sim.fleet.SecurityMode;
import org.lwm2mfleet.sim.fleet.SimulatedFleet;
import org.lwm2mfleet.sim.objects.FirmwareFailure;
import org.lwm2mfleet.sim.profiles.Profile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Demo mode: a few simulated devices of every profile, provisioned with PSKs derived from a fleet secret kept in the
 * data folder, registering over DTLS to this same server. The quick start shows live devices at once; environment
 * sensors sleep (queue mode) and water meters report with LwM2M Send, so both can be tried; the second gas
 * detector's firmware downloads fail their integrity check, so that a campaign shows a failure.
 */
public final class DemoFleet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DemoFleet.class);

    /** The demo's automation: the first gas detector's concentration switches the ventilation fans. */
    public static final String GAS_RULE_NAME = "Ventilate on gas (demo)";
    public static final String GAS_RULE = """
            {"name": "%s",
             "trigger": {"path": "/3325/0/5700", "endpoint": "demo-gas-detector-1", "condition": "above",
                         "threshold": 50, "clear": 20},
             "actions": [{"type": "write", "tag": "ventilation-fan", "path": "/3306/0/5850",
                          "value": true, "clearValue": false},
                         {"type": "alert", "severity": "major",
                          "message": "Gas above 50 ppm at demo-gas-detector-1: ventilating"}]}"""
            .formatted(GAS_RULE_NAME);
    /**
     * How often the demo gas detector smells gas, so the rule visibly switches the fans on and off: the
     * concentration needs about 4 minutes to fall back below the rule's clear level of 20 ppm.
     */
    private static final Duration GAS_EVENT_EVERY = Duration.ofMinutes(6);

    private final List<SimulatedFleet> fleets;
    /** On the server's shared scheduler. */
    private final org.lwm2mfleet.server.runtime.Scheduler.Task gasEvents;

    private DemoFleet(List<SimulatedFleet> fleets, org.lwm2mfleet.server.runtime.Scheduler scheduler) {
        this.fleets = fleets;
        this.gasEvents = scheduler.every("demo-gas", Duration.ofSeconds(60), GAS_EVENT_EVERY, this::gasEvent);
    }

    /** A gas event on the first demo gas detector now: its concentration ramps up past 50 ppm and decays. */
    public boolean gasEvent() {
        for (SimulatedFleet fleet : fleets) {
            for (var device : fleet.devices()) {
                if (device.endpoint().equals("demo-gas-detector-1")) {
                    device.object(org.lwm2mfleet.sim.objects.GasConcentration.class)
                            .triggerGasEvent(Duration.ofSeconds(30));
                    LOG.info("demo gas event on demo-gas-detector-1");
                    return true;
                }
            }
        }
        return false;
    }

    public static DemoFleet start(DeviceService devices, URI coapsUri, ServerIdentity identity, Path dataDir,
            int deviceCount, org.lwm2mfleet.server.runtime.Scheduler scheduler) throws IOException {
        String secret = secret(dataDir);
        List<SimulatedFleet> fleets = new ArrayList<>();
        Profile[] profiles = Profile.values();
        for (int p = 0; p < profiles.length; p++) {
            // Spread the count over the profiles, the first ones taking the remainder.
            int count = deviceCount / profiles.length + (p < deviceCount % profiles.length ? 1 : 0);
            if (count == 0) {
                continue;
            }
            Profile profile = profiles[p];
            String kebab = profile.name().toLowerCase(Locale.ROOT).replace('_', '-');
            String pattern = "demo-" + kebab + "-%d";
            for (int i = 1; i <= count; i++) {
                provision(devices, String.format(pattern, i), secret, kebab, i);
            }
            // Environment sensors sleep (queue mode) and wake every 2 minutes; water meters push Send reports.
            Duration wake = profile == Profile.ENVIRONMENT_SENSOR ? Duration.ofMinutes(2) : null;
            Duration send = profile == Profile.WATER_METER ? Duration.ofSeconds(30) : null;
            FleetSpec spec = new FleetSpec(coapsUri, pattern, count, List.of(profile), SecurityMode.PSK, secret,
                    identity.publicKey(), identity.certificate(), Duration.ofMinutes(5), Duration.ofSeconds(2),
                    p, wake, send,
                    // One device whose firmware downloads arrive corrupted, so that a demo campaign shows a failure.
                    new FailureInjection(FirmwareFailure.INTEGRITY_CHECK, 0, Set.of("demo-gas-detector-2")));
            SimulatedFleet fleet = SimulatedFleet.create(spec);
            fleet.start();
            fleets.add(fleet);
        }
        LOG.info("demo fleet of {} simulated devices started", deviceCount);
        return new DemoFleet(fleets, scheduler);
    }

    private static void provision(DeviceService devices, String endpoint, String secret, String kind, int number) {
        try {
            devices.get(endpoint);
        } catch (FleetException notFound) {
            devices.provision(new NewDevice(endpoint,
                    new Credentials.Psk(FleetCredentials.pskIdentity(endpoint),
                            FleetCredentials.pskKey(secret, endpoint)),
                    List.of("demo", kind), "Demo " + kind.replace('-', ' ') + " " + number));
        }
    }

    /** The demo fleet's secret, made once per data folder so a restarted demo finds its devices provisioned. */
    private static String secret(Path dataDir) throws IOException {
        Path file = dataDir.resolve("demo-fleet-secret");
        if (!Files.exists(file)) {
            byte[] random = new byte[16];
            new SecureRandom().nextBytes(random);
            // The demo devices' PSKs derive from it: as secret as the keys themselves.
            org.lwm2mfleet.server.store.OwnerOnly.writeNew(file, HexFormat.of().formatHex(random));
        }
        return Files.readString(file).strip();
    }

    @Override
    public void close() {
        gasEvents.close();
        fleets.forEach(SimulatedFleet::close);
    }
}
