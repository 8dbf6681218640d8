package org.lwm2mfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * Benchmarks are not tests: this only runs each bench scenario in a tiny size (seconds) against the server in this
 * JVM, to keep the bench working. The figures are not checked against their targets. Register-storm and
 * memory-per-device run in {@link BenchConsistencyTest}, with the Leshan baseline.
 */
class BenchSmokeTest {

    @TempDir
    Path dir;

    private BenchResult run(Scenario scenario, BenchSettings settings) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        BenchResult result = scenario.run(new Scenario.Context(settings, new InProcessLauncher(dir),
                new PrintStream(log, true)));
        result.printTable(new PrintStream(new ByteArrayOutputStream()));
        assertThat(result.toJson().path("machine").path("cores").asInt()).isPositive();
        return result;
    }

    private static BenchSettings small(Scenario scenario, int devices) {
        BenchSettings defaults = Scenario.defaults(scenario);
        return new BenchSettings(devices, SecurityMode.PSK, "smoke-secret", 5, Duration.ofSeconds(3), 40, 1,
                16 * 1024, Duration.ofSeconds(60), Duration.ofSeconds(2), 200, 20, 2, 10,
                defaults.cipherSuites(), 5, Duration.ZERO);
    }

    private static double value(BenchResult result, String figure) {
        Figure found = result.figure(figure);
        assertThat(found).as(figure).isNotNull();
        return found.value();
    }

    @Test
    void registerStormWithRpkAndX509() throws Exception {
        for (SecurityMode mode : List.of(SecurityMode.RPK, SecurityMode.X509)) {
            BenchResult result = run(Scenario.REGISTER_STORM,
                    small(Scenario.REGISTER_STORM, 5).withSecurity(mode));
            assertThat(value(result, "failures")).as(mode.name()).isZero();
        }
    }

    @Test
    void reconnectStormServesEveryDeviceAgainAfterARestartWithoutRegistration() throws Exception {
        BenchResult result = run(Scenario.RECONNECT_STORM, small(Scenario.RECONNECT_STORM, 10));
        assertThat(value(result, "not served again")).isZero();
        assertThat(value(result, "registered again")).isZero();
        // The in-process restart is graceful: the DTLS sessions were saved and loaded.
        assertThat(value(result, "full handshakes after restart")).isZero();
    }

    @Test
    void steadyReportingStoresTheNotifications() throws Exception {
        BenchResult result = run(Scenario.STEADY_REPORTING, small(Scenario.STEADY_REPORTING, 20));
        assertThat(value(result, "notifications sent/s")).isPositive();
        assertThat(value(result, "stored/s")).isPositive();
        assertThat(value(result, "observe failures")).isZero();
    }

    @Test
    void maxReportingFindsAKnee() throws Exception {
        BenchResult result = run(Scenario.MAX_REPORTING, small(Scenario.MAX_REPORTING, 10));
        assertThat(value(result, "knee: stored/s")).isPositive();
    }

    @Test
    void firmwareCampaignUpdatesEveryDevice() throws Exception {
        BenchResult result = run(Scenario.FIRMWARE_CAMPAIGN, small(Scenario.FIRMWARE_CAMPAIGN, 4));
        assertThat(value(result, "failures")).isZero();
        assertThat(value(result, "succeeded")).isEqualTo(4);
    }

    @Test
    void apiUnderLoadMeasuresListsAndReads() throws Exception {
        BenchResult result = run(Scenario.API_UNDER_LOAD, small(Scenario.API_UNDER_LOAD, 10));
        assertThat(value(result, "errors")).isZero();
        assertThat(value(result, "list p99")).isPositive();
        assertThat(value(result, "single read p99")).isPositive();
    }

    @Test
    void rulesOverheadComparesTheCostWithAndWithoutRules() throws Exception {
        BenchResult result = run(Scenario.RULES_OVERHEAD, small(Scenario.RULES_OVERHEAD, 10));
        assertThat(value(result, "server CPU per 1,000 notifications, no rule")).isPositive();
        assertThat(value(result, "server CPU per 1,000 notifications, 100 rules")).isPositive();
        assertThat(value(result, "rules thread CPU per 1,000 notifications")).isPositive();
        assertThat(value(result, "rule evaluations dropped")).isZero();
    }

    @Test
    void ecBoundMeasuresTheHandshakeWork() throws Exception {
        BenchResult result = run(Scenario.EC_BOUND, small(Scenario.EC_BOUND, 0));
        for (String curve : List.of("P-256", "X25519")) {
            assertThat(value(result, "server EC work per RPK handshake, " + curve + " (one core alone)")).isPositive();
            assertThat(value(result, "RPK handshakes/s bound, " + curve + " (server+devices on "
                    + Runtime.getRuntime().availableProcessors() + " cores)")).isPositive();
        }
    }
}
