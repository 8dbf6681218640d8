package org.lwm2mfleet.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import org.lwm2mfleet.sim.fleet.SecurityMode;

/** The scenarios of {@code bench}; each starts its own server through the launcher, measures, and stops it. */
public enum Scenario {
    REGISTER_STORM(10_000, new RegisterStorm()),
    RECONNECT_STORM(10_000, new ReconnectStorm()),
    STEADY_REPORTING(10_000, new SteadyReporting(false)),
    MAX_REPORTING(10_000, new SteadyReporting(true)),
    MEMORY_PER_DEVICE(100_000, new MemoryPerDevice()),
    FIRMWARE_CAMPAIGN(1_000, new FirmwareCampaign()),
    API_UNDER_LOAD(1_000, new ApiUnderLoad()),
    RULES_OVERHEAD(10_000, new RulesOverhead()),
    EC_BOUND(0, new EcHandshakeBound());

    /** What a scenario is run with. */
    public record Context(BenchSettings settings, ServerLauncher launcher, PrintStream log) {

        public void progress(String format, Object... args) {
            log.printf("[%s] %s%n", Instant.now().toString().substring(11, 19), String.format(format, args));
        }
    }

    /** The body of a scenario. */
    interface Body {
        BenchResult run(Scenario scenario, Context context) throws Exception;
    }

    private final int defaultDevices;
    private final Body body;

    Scenario(int defaultDevices, Body body) {
        this.defaultDevices = defaultDevices;
        this.body = body;
    }

    public int defaultDevices() {
        return defaultDevices;
    }

    /** register-storm, steady-reporting, ... */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Scenario parse(String name) {
        for (Scenario scenario : values()) {
            if (scenario.cliName().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return scenario;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "'");
    }

    /** EC handshakes per second this machine can do: RPK and X.509 storms are held to 80 % of it. */
    public static void setEcBound(double handshakesPerSecond) {
        RegisterStorm.ecBound = handshakesPerSecond;
    }

    public BenchResult run(Context context) throws Exception {
        return body.run(this, context);
    }

    /** The settings a scenario starts from, for a quick run (tests) or a full one. */
    public static BenchSettings defaults(Scenario scenario) {
        return new BenchSettings(scenario.defaultDevices, SecurityMode.PSK, "bench-fleet-secret", 100,
                Duration.ofMinutes(10), 10_000, 1, 256 * 1024, Duration.ofMinutes(5), Duration.ofSeconds(30),
                100_000, 2_000, 4, 10_000, BenchSettings.mandatorySuites(SecurityMode.PSK), 2_000,
                Duration.ofSeconds(250));
    }
}
