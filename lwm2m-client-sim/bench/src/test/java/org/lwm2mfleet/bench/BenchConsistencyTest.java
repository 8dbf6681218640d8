package org.lwm2mfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * The bench's figures agree with each other, for our server and for the Leshan baseline in one run: counts add up
 * to the devices started, percentiles are ordered, derived figures are what their parts give, and every ratio is
 * ours over Leshan's of the same run. A bench that reports a positive but inconsistent figure fails here.
 */
class BenchConsistencyTest {

    private static final double EXACT = 1e-9;

    @TempDir
    Path dir;

    private BenchResult withBaseline(Scenario scenario, int devices) throws Exception {
        BenchSettings defaults = Scenario.defaults(scenario);
        BenchSettings settings = new BenchSettings(devices, SecurityMode.PSK, "consistency-secret", 5,
                Duration.ofSeconds(3), 40, 1, 16 * 1024, Duration.ofSeconds(60), Duration.ofSeconds(2), 200, 0, 2, 10,
                defaults.cipherSuites(), 5, Duration.ZERO);
        Scenario.Context context = new Scenario.Context(settings, new InProcessLauncher(dir),
                new PrintStream(new ByteArrayOutputStream(), true));
        return Baseline.compare(scenario, context, scenario.run(context));
    }

    private static double value(BenchResult result, String name) {
        Figure figure = result.figure(name);
        assertThat(figure).as(name).isNotNull();
        return figure.value();
    }

    @Test
    void registerStormFiguresAddUpForBothServers() throws Exception {
        int devices = 12;
        BenchResult result = withBaseline(Scenario.REGISTER_STORM, devices);
        for (String side : new String[] { "", "leshan: " }) {
            double registered = value(result, side + "registered");
            assertThat(registered + value(result, side + "failures")).as(side + "registered + failures")
                    .isEqualTo(devices);
            assertThat(registered).as(side + "registered").isEqualTo(devices);
            assertThat(value(result, side + "registrations/s"))
                    .isCloseTo(registered / value(result, side + "storm duration"), within(EXACT));
            assertThat(value(result, side + "server CPU per registration"))
                    .isCloseTo(value(result, side + "server CPU") * 1000 / registered, within(EXACT));
            assertThat(value(result, side + "latency p50")).isLessThanOrEqualTo(value(result, side + "latency p95"));
            assertThat(value(result, side + "latency p95")).isLessThanOrEqualTo(value(result, side + "latency p99"));
            assertThat(value(result, side + "latency p99")).isLessThanOrEqualTo(value(result, side + "latency max"));
        }
        assertThat(value(result, "registrations/s ours/leshan")).isCloseTo(
                value(result, "registrations/s") / value(result, "leshan: registrations/s"), within(EXACT));
        assertThat(value(result, "latency p99 ours/leshan")).isCloseTo(
                value(result, "latency p99") / value(result, "leshan: latency p99"), within(EXACT));
        assertThat(value(result, "CPU per registration ours/leshan")).isCloseTo(
                value(result, "server CPU per registration") / value(result, "leshan: server CPU per registration"),
                within(EXACT));
    }

    @Test
    void memoryPerDeviceFiguresAddUpForBothServers() throws Exception {
        int devices = 12;
        BenchResult result = withBaseline(Scenario.MEMORY_PER_DEVICE, devices);
        for (String side : new String[] { "", "leshan: " }) {
            assertThat(value(result, side + "registered")).as(side + "registered").isEqualTo(devices);
            double empty = value(result, side + "server heap after GC, empty");
            double full = value(result, side + "server heap after GC, registered");
            assertThat(value(result, side + "heap per device incl. provisioning"))
                    .isCloseTo((full - empty) * 1024 / devices, within(1e-6));
        }
        assertThat(value(result, "heap per registered device ours/leshan")).isCloseTo(
                value(result, "heap per registered device") / value(result, "leshan: heap per registered device"),
                within(EXACT));
    }
}
