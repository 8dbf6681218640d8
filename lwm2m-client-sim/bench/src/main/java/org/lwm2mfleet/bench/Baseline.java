package org.lwm2mfleet.bench;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;

/**
 * {@code --baseline leshan}: the same scenario against a bare Leshan server of the same version, started by the
 * bench in its own JVM; our result gains Leshan's figures and the ratios.
 */
public final class Baseline {

    private Baseline() {
    }

    public static boolean supports(Scenario scenario) {
        return scenario == Scenario.REGISTER_STORM || scenario == Scenario.MEMORY_PER_DEVICE;
    }

    /** Runs {@code scenario} against Leshan and adds its figures and the ratios to {@code ours}. */
    public static BenchResult compare(Scenario scenario, Scenario.Context context, BenchResult ours)
            throws Exception {
        BenchResult leshan = switch (scenario) {
        case REGISTER_STORM -> new RegisterStorm().run(scenario, context, ServerKind.LESHAN);
        case MEMORY_PER_DEVICE -> new MemoryPerDevice().run(scenario, context, ServerKind.LESHAN);
        default -> throw new IllegalArgumentException("no baseline for " + scenario.cliName());
        };
        for (Figure figure : leshan.figures()) {
            ours.add(Figure.of("leshan: " + figure.name(), figure.value(), figure.unit()));
        }
        leshan.notes().forEach(note -> ours.note("leshan: " + note));
        String key = scenario == Scenario.REGISTER_STORM ? "registrations/s" : "heap per registered device";
        Figure mine = ours.figure(key);
        Figure theirs = leshan.figure(key);
        if (mine != null && theirs != null) {
            ours.add(Figure.of(key + " ours/leshan", mine.value() / theirs.value(), "x"));
        }
        if (scenario == Scenario.REGISTER_STORM) {
            Figure p99 = ours.figure("latency p99");
            Figure leshanP99 = leshan.figure("latency p99");
            ours.add(Figure.of("latency p99 ours/leshan", p99.value() / leshanP99.value(), "x"));
            Figure cpu = ours.figure("server CPU per registration");
            Figure leshanCpu = leshan.figure("server CPU per registration");
            ours.add(Figure.of("CPU per registration ours/leshan", cpu.value() / leshanCpu.value(), "x"));
        }
        return ours;
    }
}
