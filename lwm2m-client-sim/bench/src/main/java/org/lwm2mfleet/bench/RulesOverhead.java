package org.lwm2mfleet.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;

/**
 * rules-overhead: what rules cost on the notification path. The same fleet reports at the same rate in alternating
 * phases of {@code --step} each, twice over: with no rule, then with {@value #RULES} rules that every notification
 * must be judged against (each watches the reported path on every device, by profile, and never fires, so what is
 * measured is the evaluation, not the actions; deleted again after the phase). The figures are the server's CPU per
 * 1,000 stored notifications with and without rules, and the CPU of the server's rules thread itself, each set
 * against the notification path's cost without rules.
 */
final class RulesOverhead implements Scenario.Body {

    static final int RULES = 100;
    /** Rounds of (no rule, rules) phases. */
    private static final int ROUNDS = 2;
    /** The bound: rules may add at most this much to the notification path's cost. */
    private static final double MAX_RISE = 0.10;

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        result.parameter("devices", s.devices()).parameter("rate", s.rate()).parameter("phase", s.step())
                .parameter("rules", RULES);
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(ServerKind.FLEET,
                s.security(), s.fleetSecret()));
                BenchFleet fleet = Fleets.registered(context, server, s, 1, s.devices())) {
            result.server("process", server.description());
            FleetApi api = server.api();
            int observeFailures = ReportingLoad.observeAll(api, fleet.devices(), 1, 64);
            ReportingLoad load = new ReportingLoad(fleet.devices(), 1);
            SteadyReporting.awaitQuiet(api);
            // A first phase warms the server's JIT up, so that the phase without rules is not the cold one. Then the
            // phases alternate (none, rules, none, rules): drift in what else the machine does hits both sides.
            context.progress("warming up for %s at %,.0f/s", s.step(), s.rate());
            phase(s, server, load, fleet);
            double[] without = new double[3];
            double[] with = new double[3];
            for (int round = 1; round <= ROUNDS; round++) {
                context.progress("no rule (%d/%d): %s at %,.0f/s", round, ROUNDS, s.step(), s.rate());
                add(without, phase(s, server, load, fleet));
                List<String> created = createRules(api);
                SteadyReporting.awaitQuiet(api);
                context.progress("%d rules (%d/%d): %s at %,.0f/s", RULES, round, ROUNDS, s.step(), s.rate());
                add(with, phase(s, server, load, fleet));
                for (String location : created) {
                    api.delete(location);
                }
                SteadyReporting.awaitQuiet(api);
            }
            double rise = with[0] / without[0] - 1;
            result.add(Figure.of("stored/s without rules", without[1], "1/s"));
            result.add(Figure.of("stored/s with " + RULES + " rules", with[1], "1/s"));
            result.add(Figure.of("server CPU per 1,000 notifications, no rule", without[0], "ms"));
            result.add(Figure.of("server CPU per 1,000 notifications, " + RULES + " rules", with[0], "ms"));
            result.add(Figure.atMost("added by the rules (whole process)", rise * 100, "%", MAX_RISE * 100));
            result.add(Figure.of("rules thread CPU per 1,000 notifications", with[2], "ms"));
            result.add(Figure.atMost("added by the rules (rules thread)", with[2] / without[0] * 100, "%",
                    MAX_RISE * 100));
            result.add(Figure.atMost("rule evaluations dropped", api.metric("rules_evaluations_dropped_total"), "",
                    0));
            result.add(Figure.atMost("observe failures", observeFailures, "", 0));
            if (!server.measuredAlone()) {
                result.note("CPU figures are the whole test process's (server in-process)");
            }
        }
        return result;
    }

    /** @return the locations of the rules made, each watching the reported path on every device */
    private static List<String> createRules(FleetApi api) throws Exception {
        List<String> locations = new ArrayList<>();
        String path = ReportingLoad.PATHS.get(0);
        for (int i = 1; i <= RULES; i++) {
            FleetApi.Reply reply = api.post("/api/v1/rules", "application/json", """
                    {"name": "bench %d", "trigger": {"path": "%s", "profile": 3, "condition": "equals",
                      "value": %d}, "actions": [{"type": "alert", "severity": "info"}]}""".formatted(i, path, -i));
            if (!reply.ok()) {
                throw new IllegalStateException("rule " + i + " refused: " + reply.body());
            }
            locations.add("/api/v1/rules/" + reply.json().path("id").asLong());
        }
        return locations;
    }

    /** Adds one phase's figures into the running means of {@value #ROUNDS} rounds. */
    private static void add(double[] mean, double[] phase) {
        for (int i = 0; i < mean.length; i++) {
            mean[i] += phase[i] / ROUNDS;
        }
    }

    /**
     * @return {server CPU ms per 1,000 stored notifications, stored per second, rules thread CPU ms per 1,000 stored
     *     notifications} over one phase
     */
    private static double[] phase(BenchSettings s, ServerHandle server, ReportingLoad load, BenchFleet fleet)
            throws Exception {
        FleetApi api = server.api();
        double stored0 = api.metric("telemetry_points_stored_total");
        double rules0 = api.metric("rules_evaluation_cpu_seconds_total");
        double cpu0 = server.cpuSeconds();
        long start = System.nanoTime();
        load.start(fleet.scheduler(), s.rate());
        TimeUnit.NANOSECONDS.sleep(s.step().toNanos());
        load.stop();
        SteadyReporting.awaitQuiet(api);
        double seconds = (System.nanoTime() - start) / 1e9;
        double stored = api.metric("telemetry_points_stored_total") - stored0;
        double cpu = server.cpuSeconds() - cpu0;
        double rules = api.metric("rules_evaluation_cpu_seconds_total") - rules0;
        return new double[] { stored == 0 ? 0 : cpu * 1e6 / stored, stored / seconds,
                stored == 0 ? 0 : rules * 1e6 / stored };
    }
}
