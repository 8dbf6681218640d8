package org.lwm2mfleet.sim.bench;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.sim.bench.ServerLauncher.ServerKind;

/**
 * rules-overhead: what rules cost on the notification path. The same fleet reports at the same rate twice, for
 * {@code --step} each: first with no rule, then with {@value #RULES} rules that every notification must be judged
 * against (each watches the reported path on every device, by profile, and never fires, so what is measured is the
 * evaluation, not the actions). The figure is the server's CPU per 1,000 stored notifications, and its rise.
 */
final class RulesOverhead implements Scenario.Body {

    static final int RULES = 100;
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
            // A first phase warms the server's JIT up, so that the phase without rules is not the cold one.
            context.progress("warming up for %s at %,.0f/s", s.step(), s.rate());
            phase(s, server, load, fleet);
            context.progress("no rule: %s at %,.0f/s", s.step(), s.rate());
            double[] without = phase(s, server, load, fleet);
            String path = ReportingLoad.PATHS.get(0);
            for (int i = 1; i <= RULES; i++) {
                FleetApi.Reply reply = api.post("/api/v1/rules", "application/json", """
                        {"name": "bench %d", "trigger": {"path": "%s", "profile": 3, "condition": "equals",
                          "value": %d}, "actions": [{"type": "alert", "severity": "info"}]}""".formatted(i, path, -i));
                if (!reply.ok()) {
                    throw new IllegalStateException("rule " + i + " refused: " + reply.body());
                }
            }
            SteadyReporting.awaitQuiet(api);
            context.progress("%d rules: %s at %,.0f/s", RULES, s.step(), s.rate());
            double[] with = phase(s, server, load, fleet);
            double rise = with[0] / without[0] - 1;
            result.add(Figure.of("stored/s without rules", without[1], "1/s"));
            result.add(Figure.of("stored/s with " + RULES + " rules", with[1], "1/s"));
            result.add(Figure.of("server CPU per 1,000 notifications, no rule", without[0], "ms"));
            result.add(Figure.of("server CPU per 1,000 notifications, " + RULES + " rules", with[0], "ms"));
            result.add(Figure.atMost("added by the rules", rise * 100, "%", MAX_RISE * 100));
            result.add(Figure.atMost("rule evaluations dropped", api.metric("rules_evaluations_dropped_total"), "",
                    0));
            result.add(Figure.atMost("observe failures", observeFailures, "", 0));
            if (!server.measuredAlone()) {
                result.note("CPU figures are the whole test process's (server in-process)");
            }
        }
        return result;
    }

    /** @return {server CPU ms per 1,000 stored notifications, stored per second} over one phase */
    private static double[] phase(BenchSettings s, ServerHandle server, ReportingLoad load, BenchFleet fleet)
            throws Exception {
        FleetApi api = server.api();
        double stored0 = api.metric("telemetry_points_stored_total");
        double cpu0 = server.cpuSeconds();
        long start = System.nanoTime();
        load.start(fleet.scheduler(), s.rate());
        TimeUnit.NANOSECONDS.sleep(s.step().toNanos());
        load.stop();
        SteadyReporting.awaitQuiet(api);
        double seconds = (System.nanoTime() - start) / 1e9;
        double stored = api.metric("telemetry_points_stored_total") - stored0;
        double cpu = server.cpuSeconds() - cpu0;
        return new double[] { stored == 0 ? 0 : cpu * 1e6 / stored, stored / seconds };
    }
}
