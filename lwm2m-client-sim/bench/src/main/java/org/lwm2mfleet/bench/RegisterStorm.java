package org.lwm2mfleet.bench;

import java.time.Duration;
import java.time.Instant;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;
import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * N devices start at once and register (DTLS handshake + Register). Figures: registrations per second (from the
 * first start to the last registration), start-to-registered latency percentiles, failures (refused or timed-out
 * registrations, and devices not registered in time), and the server's CPU seconds over the storm.
 */
final class RegisterStorm implements Scenario.Body {

    /** The EC handshake bound RPK and X.509 are held to, per second; measured by ec-bound, given with --ec-bound. */
    static volatile double ecBound = Double.NaN;

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        return run(scenario, context, ServerKind.FLEET);
    }

    /**
     * Registers and de-registers {@code warmup} other devices (numbered after the fleet, on other source addresses)
     * so that the storm measures a server whose JIT has compiled the registration path.
     */
    static void warmUp(Scenario.Context context, ServerHandle server, BenchSettings s) throws Exception {
        context.progress("warming up the server with %,d devices", s.warmup());
        if (server.api() != null) {
            Provisioning.provision(server.api(), s.security(), s.fleetSecret(), s.devices() + 1, s.warmup());
        }
        BenchFleet warm = BenchFleet.create(s, s.security() == SecurityMode.NONE ? server.coapUri()
                : server.coapsUri(), server.certificate(), s.devices() + 1, s.warmup(), 240, Duration.ofHours(1));
        warm.startAll(s.startThreads());
        warm.awaitRegistered(s.warmup(), s.timeout());
        warm.stop(true);
    }

    BenchResult run(Scenario scenario, Scenario.Context context, ServerKind kind) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        result.parameter("devices", s.devices()).parameter("security", s.security().name().toLowerCase())
                .parameter("startThreads", s.startThreads()).parameter("devicesPerAddress", s.devicesPerAddress())
                .parameter("timeout", s.timeout()).parameter("warmup", s.warmup())
                .parameter("cipherSuites", s.cipherSuites().isEmpty() ? "Leshan client defaults"
                        : String.join(",", s.cipherSuites()));
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(kind, s.security(),
                s.fleetSecret()))) {
            result.server("kind", kind.name().toLowerCase()).server("process", server.description());
            if (server.api() != null) {
                context.progress("provisioning %,d %s devices", s.devices(), s.security());
                Provisioning.provision(server.api(), s.security(), s.fleetSecret(), 1, s.devices());
            }
            if (s.warmup() > 0) {
                warmUp(context, server, s);
            }
            context.progress("building %,d devices", s.devices());
            try (BenchFleet fleet = BenchFleet.create(s, s.security() == SecurityMode.NONE ? server.coapUri()
                    : server.coapsUri(), server.certificate(), 1, s.devices(), 0, Duration.ofHours(1))) {
                double cpuBefore = server.cpuSeconds();
                double simulatorCpuBefore = simulatorCpuSeconds();
                context.progress("starting %,d devices at once", s.devices());
                fleet.startAll(s.startThreads());
                boolean all = fleet.awaitRegistered(s.devices(), s.timeout());
                double cpu = server.cpuSeconds() - cpuBefore;
                double simulatorCpu = simulatorCpuSeconds() - simulatorCpuBefore;
                int registered = fleet.registered();
                context.progress("%,d of %,d registered", registered, s.devices());
                double seconds = (fleet.lastFirstRegistration() - fleet.firstStart()) / 1e9;
                double rate = registered / seconds;
                Latencies latencies = fleet.registrationLatencies();
                int failures = fleet.failures() + (s.devices() - registered);
                if (s.security() == SecurityMode.PSK || s.security() == SecurityMode.NONE) {
                    result.add(Figure.atLeast("registrations/s", rate, "1/s", 2000));
                } else if (!Double.isNaN(ecBound)) {
                    result.add(Figure.atLeast("registrations/s", rate, "1/s", Math.floor(0.8 * ecBound)));
                    result.note(String.format("target: 80%% of the EC handshake bound %.0f/s (ec-bound)", ecBound));
                } else {
                    result.add(Figure.of("registrations/s", rate, "1/s"));
                }
                result.add(Figure.of("latency p50", latencies.percentileMillis(50), "ms"));
                result.add(Figure.of("latency p95", latencies.percentileMillis(95), "ms"));
                result.add(Figure.below("latency p99", latencies.percentileMillis(99), "ms", 2000));
                result.add(Figure.of("latency max", latencies.maxMillis(), "ms"));
                result.add(Figure.of("registered", registered, ""));
                result.add(Figure.atMost("failures", failures, "", 0));
                result.add(Figure.of("storm duration", seconds, "s"));
                result.add(Figure.of("server CPU", cpu, "s"));
                result.add(Figure.of("server CPU per registration", cpu * 1000 / Math.max(1, registered), "ms"));
                if (server.measuredAlone()) {
                    // The devices share the cores: what they take is not the server's to use.
                    result.add(Figure.of("simulator CPU", simulatorCpu, "s"));
                    result.add(Figure.of("simulator CPU per registration",
                            simulatorCpu * 1000 / Math.max(1, registered), "ms"));
                }
                if (!all) {
                    result.note(String.format("only %,d of %,d devices registered within %s", registered,
                            s.devices(), s.timeout()));
                }
                if (fleet.failures() > 0) {
                    result.note(fleet.failures() + " registration attempts failed or timed out (retried after 5 s)");
                }
                if (!server.measuredAlone()) {
                    result.note("server CPU is the whole test process's (server in-process)");
                }
            }
        }
        return result;
    }

    /** CPU seconds of this process (the simulated devices), when the server runs in another. */
    private static double simulatorCpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }
}
