package org.lwm2mfleet.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;

/**
 * steady-reporting: N devices, each observed on one or more resources, notify at a given total rate for a set
 * duration. max-reporting: the same fleet, the rate raised step by step until stored/s stops rising or points are
 * dropped; the knee is the best stored rate without drops.
 *
 * <p>Lag is read from counters: the server's {@code telemetry_points_stored_total} is polled every 200 ms, and when
 * it reaches n, the lag of that sample is the time since the n-th notification was fired on the device side (the
 * points are stored in arrival order). It includes the simulated device's own CoAP/DTLS send path.
 */
final class SteadyReporting implements Scenario.Body {

    private static final long POLL_MILLIS = 200;
    private final boolean findKnee;

    SteadyReporting(boolean findKnee) {
        this.findKnee = findKnee;
    }

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        result.parameter("devices", s.devices()).parameter("security", s.security().name().toLowerCase())
                .parameter("resourcesPerDevice", s.resourcesPerDevice()).parameter("rate", s.rate());
        if (findKnee) {
            result.parameter("step", s.step());
        } else {
            result.parameter("duration", s.duration());
        }
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(ServerKind.FLEET,
                s.security(), s.fleetSecret()));
                BenchFleet fleet = Fleets.registered(context, server, s, 1, s.devices())) {
            result.server("process", server.description());
            FleetApi api = server.api();
            context.progress("observing %d resource(s) on each of %,d devices", s.resourcesPerDevice(), s.devices());
            int observeFailures = ReportingLoad.observeAll(api, fleet.devices(), s.resourcesPerDevice(), 64);
            ReportingLoad load = new ReportingLoad(fleet.devices(), s.resourcesPerDevice());
            awaitQuiet(api);
            long heapStart = server.heapAfterGc();
            if (findKnee) {
                knee(context, s, server, load, fleet, result);
            } else {
                steady(context, s, server, load, fleet, result);
            }
            long heapEnd = server.heapAfterGc();
            result.add(Figure.of("server heap after GC, start", heapStart / 1048576.0, "MiB"));
            result.add(Figure.of("server heap after GC, end", heapEnd / 1048576.0, "MiB"));
            if (!findKnee) {
                result.add(Figure.atMost("server heap growth", (heapEnd - heapStart) / 1048576.0, "MiB", 32));
            }
            result.add(Figure.atMost("observe failures", observeFailures, "", 0));
            if (!server.measuredAlone()) {
                result.note("heap figures are the whole test process's (server in-process)");
            }
        }
        return result;
    }

    private void steady(Scenario.Context context, BenchSettings s, ServerHandle server, ReportingLoad load,
            BenchFleet fleet, BenchResult result) throws Exception {
        FleetApi api = server.api();
        double stored0 = api.metric("telemetry_points_stored_total");
        double dropped0 = api.metric("telemetry_points_dropped_total");
        long sent0 = load.sent();
        double cpu0 = server.cpuSeconds();
        context.progress("notifying %,.0f/s over %,d resources for %s", s.rate(), load.observedResources(),
                s.duration());
        Latencies lag = new Latencies();
        long start = System.nanoTime();
        load.start(fleet.scheduler(), s.rate());
        long end = start + s.duration().toNanos();
        long nextReport = start + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            sampleLag(api, load, stored0, lag);
            if (System.nanoTime() > nextReport) {
                context.progress("sent %,d, stored %,.0f", load.fired(),
                        api.metric("telemetry_points_stored_total") - stored0);
                nextReport += TimeUnit.SECONDS.toNanos(30);
            }
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        }
        load.stop();
        double seconds = (System.nanoTime() - start) / 1e9;
        double storedInWindow = api.metric("telemetry_points_stored_total") - stored0;
        long fired = load.fired();
        long sent = load.sent() - sent0;
        // Drain: wait until everything sent is stored or nothing moves for 5 s.
        double stored = drain(api, stored0, sent, lag, load);
        sent = load.sent() - sent0;
        double cpu = server.cpuSeconds() - cpu0;
        String metrics = api.metrics();
        double dropped = FleetApi.metric(metrics, "telemetry_points_dropped_total") - dropped0;
        double lost = sent - stored;
        result.add(Figure.of("value changes fired/s", fired / seconds, "1/s"));
        result.add(Figure.of("notifications sent/s", sent / seconds, "1/s"));
        result.add(Figure.of("superseded on the devices", Math.max(0, fired - sent), ""));
        result.add(Figure.atLeast("stored/s", storedInWindow / seconds, "1/s", s.rate() * 0.99));
        result.add(Figure.of("received (stored + dropped)", stored + dropped, ""));
        result.add(Figure.of("lag p50", lag.percentileMillis(50), "ms"));
        result.add(Figure.below("lag p99", lag.percentileMillis(99), "ms", 1000));
        result.add(Figure.of("lag max", lag.maxMillis(), "ms"));
        result.add(Figure.atMost("dropped by the server", dropped, "", 0));
        result.add(Figure.atMost("not stored (sent - stored)", Math.max(0, lost), "", 0));
        result.add(Figure.of("server CPU", cpu, "s"));
        if (fired > sent) {
            result.note(String.format("%,d value changes were never sent: CoAP observe sends a device's next "
                    + "confirmable notification only when the previous one is acknowledged, and a newer value "
                    + "replaces a waiting one", fired - sent));
        }
    }

    private void knee(Scenario.Context context, BenchSettings s, ServerHandle server, ReportingLoad load,
            BenchFleet fleet, BenchResult result) throws Exception {
        FleetApi api = server.api();
        double rate = s.rate();
        double best = 0;
        double bestOffered = 0;
        String why = "";
        load.start(fleet.scheduler(), rate);
        StringBuilder steps = new StringBuilder();
        while (true) {
            load.rate(rate);
            TimeUnit.MILLISECONDS.sleep(Math.min(5000, s.step().toMillis() / 4)); // settle
            double stored0 = api.metric("telemetry_points_stored_total");
            double dropped0 = api.metric("telemetry_points_dropped_total");
            long fired0 = load.sent();
            long t0 = System.nanoTime();
            TimeUnit.MILLISECONDS.sleep(s.step().toMillis());
            double seconds = (System.nanoTime() - t0) / 1e9;
            double storedRate = (api.metric("telemetry_points_stored_total") - stored0) / seconds;
            double sentRate = (load.sent() - fired0) / seconds;
            double dropped = api.metric("telemetry_points_dropped_total") - dropped0;
            double backlog = api.metric("telemetry_backlog");
            steps.append(String.format("%.0f→%.0f ", sentRate, storedRate));
            context.progress("offered %,.0f/s: sent %,.0f/s, stored %,.0f/s, dropped %,.0f, backlog %,.0f", rate,
                    sentRate, storedRate, dropped, backlog);
            if (dropped > 0) {
                why = String.format("points dropped at %,.0f/s offered", rate);
                break;
            }
            if (storedRate < best * 1.05) {
                why = String.format("stored/s stopped rising at %,.0f/s offered", rate);
                break;
            }
            if (sentRate < rate * 0.9) {
                best = Math.max(best, storedRate);
                bestOffered = rate;
                why = String.format("the simulator could not send more than %,.0f/s (asked %,.0f/s): the bound is "
                        + "the machine, not the server alone", sentRate, rate);
                break;
            }
            best = Math.max(best, storedRate);
            bestOffered = rate;
            rate = rate * 1.5;
        }
        load.stop();
        result.add(Figure.atLeast("knee: stored/s", best, "1/s", 30_000));
        result.add(Figure.of("knee: offered/s", bestOffered, "1/s"));
        result.note("stopped: " + why);
        result.note("steps (sent→stored per second): " + steps.toString().trim());
    }

    private static void sampleLag(FleetApi api, ReportingLoad load, double stored0, Latencies lag) {
        long now = System.nanoTime();
        double stored = api.metric("telemetry_points_stored_total") - stored0;
        long firedAt = load.sentAt((long) stored);
        if (stored >= 1 && firedAt > 0) {
            lag.add(Math.max(0, now - firedAt));
        }
    }

    private static double drain(FleetApi api, double stored0, long fired, Latencies lag, ReportingLoad load)
            throws InterruptedException {
        double last = -1;
        long quietSince = System.nanoTime();
        while (true) {
            double stored = api.metric("telemetry_points_stored_total") - stored0;
            if (stored < fired) {
                sampleLag(api, load, stored0, lag);
            }
            if (stored >= fired) {
                return stored;
            }
            if (stored != last) {
                last = stored;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(5)) {
                return stored;
            }
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        }
    }

    /** Waits until the stored counter and the backlog stop moving (observe responses are stored too). */
    static void awaitQuiet(FleetApi api) throws InterruptedException {
        double last = -1;
        for (int i = 0; i < 100; i++) {
            String metrics = api.metrics();
            double stored = FleetApi.metric(metrics, "telemetry_points_stored_total");
            if (stored == last && FleetApi.metric(metrics, "telemetry_backlog") == 0) {
                return;
            }
            last = stored;
            TimeUnit.MILLISECONDS.sleep(500);
        }
    }

    static Duration lifetime() {
        return Duration.ofHours(1);
    }
}
