package org.lwm2mfleet.bench;

import java.time.Instant;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;

/**
 * With a large registry (default 100,000 provisioned devices) and reporting running (N registered devices notifying
 * at the given rate), the latency of the REST calls an operator's console makes: a filtered, paged device list
 * ({@code GET /api/v1/devices?tag=bench&q=...&limit=50}, and the next page with its cursor) and a single device
 * ({@code GET /api/v1/devices/{endpoint}}), one request at a time.
 */
final class ApiUnderLoad implements Scenario.Body {

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        int registry = Math.max(s.registryDevices(), s.devices());
        result.parameter("registryDevices", registry).parameter("reportingDevices", s.devices())
                .parameter("rate", s.rate()).parameter("requests", s.requests());
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(ServerKind.FLEET,
                s.security(), s.fleetSecret()));
                BenchFleet fleet = Fleets.registered(context, server, s, 1, s.devices())) {
            result.server("process", server.description());
            FleetApi api = server.api();
            if (registry > s.devices()) {
                context.progress("provisioning %,d more devices into the registry", registry - s.devices());
                Provisioning.provision(api, s.security(), s.fleetSecret(), s.devices() + 1, registry - s.devices());
            }
            ReportingLoad.observeAll(api, fleet.devices(), 1, 64);
            ReportingLoad load = new ReportingLoad(fleet.devices(), 1);
            load.start(fleet.scheduler(), s.rate());
            TimeUnit.SECONDS.sleep(2);
            double stored0 = api.metric("telemetry_points_stored_total");
            long t0 = System.nanoTime();
            Random random = new Random(7);
            Latencies list = new Latencies();
            Latencies nextPage = new Latencies();
            Latencies single = new Latencies();
            int errors = 0;
            context.progress("measuring %,d list and %,d single-device reads while reporting %,.0f/s", s.requests(),
                    s.requests(), s.rate());
            for (int i = 0; i < s.requests(); i++) {
                // Filtered: devices of the tag whose name contains a random 3-digit run; first and second page.
                String q = String.format("%03d", random.nextInt(1000));
                FleetApi.Reply page = api.get("/api/v1/devices?tag=" + Provisioning.TAG + "&q=" + q + "&limit=50");
                if (!page.ok()) {
                    errors++;
                    continue;
                }
                list.add(page.nanos());
                String cursor = page.json().path("nextCursor").asText(null);
                if (cursor != null && !cursor.isEmpty()) {
                    FleetApi.Reply next = api.get("/api/v1/devices?tag=" + Provisioning.TAG + "&q=" + q
                            + "&limit=50&cursor=" + java.net.URLEncoder.encode(cursor,
                                    java.nio.charset.StandardCharsets.UTF_8));
                    if (next.ok()) {
                        nextPage.add(next.nanos());
                    } else {
                        errors++;
                    }
                }
                FleetApi.Reply one = api.get("/api/v1/devices/" + BenchFleet.endpoint(1 + random.nextInt(registry)));
                if (one.ok()) {
                    single.add(one.nanos());
                } else {
                    errors++;
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double stored = api.metric("telemetry_points_stored_total") - stored0;
            load.stop();
            result.add(Figure.of("list p50", list.percentileMillis(50), "ms"));
            result.add(Figure.below("list p99", list.percentileMillis(99), "ms", 50));
            result.add(Figure.of("next page p99", nextPage.percentileMillis(99), "ms"));
            result.add(Figure.of("single read p50", single.percentileMillis(50), "ms"));
            result.add(Figure.below("single read p99", single.percentileMillis(99), "ms", 20));
            result.add(Figure.atMost("errors", errors, "", 0));
            result.add(Figure.of("stored/s meanwhile", stored / seconds, "1/s"));
        }
        return result;
    }
}
