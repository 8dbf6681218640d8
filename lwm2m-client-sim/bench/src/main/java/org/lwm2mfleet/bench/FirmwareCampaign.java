package org.lwm2mfleet.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * M registered devices updated by one campaign (concurrency C) with an image of the given size, each pulling it over
 * CoAPS block-wise (in the server's blocks: the simulated device does not ask for a size) from the server, installing it, rebooting and reporting the new version.
 * Figures: total time (campaign created to every device done), image bytes and blocks delivered per second, failures.
 */
final class FirmwareCampaign implements Scenario.Body {

    /** Our server's block size when the device leaves it to the server (1,024 bytes; Californium's default 512). */
    private static final int BLOCK = 1024;

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        result.parameter("devices", s.devices()).parameter("concurrency", s.concurrency())
                .parameter("imageBytes", s.imageBytes()).parameter("security", s.security().name().toLowerCase())
                .parameter("blockSize", BLOCK);
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(ServerKind.FLEET,
                s.security(), s.fleetSecret()));
                BenchFleet fleet = Fleets.registered(context, server, s, 1, s.devices())) {
            result.server("process", server.description());
            FleetApi api = server.api();
            FleetApi.Reply image = api.post("/api/v1/firmware?name=bench-fw&version=2.0.0",
                    "application/octet-stream", image(s.imageBytes(), "2.0.0"));
            if (!image.ok()) {
                throw new IllegalStateException("image upload failed: " + image.status() + " " + image.body());
            }
            long imageId = image.json().path("id").asLong();
            awaitInventory(context, api, s);
            double cpu0 = server.cpuSeconds();
            long start = System.nanoTime();
            FleetApi.Reply created = api.post("/api/v1/campaigns", "application/json", String.format(
                    "{\"name\":\"bench\",\"imageId\":%d,\"tag\":\"%s\",\"concurrency\":%d,\"maxAttempts\":1,"
                            + "\"failureThreshold\":1.0}", imageId, Provisioning.TAG, s.concurrency()));
            if (!created.ok()) {
                throw new IllegalStateException("campaign refused: " + created.status() + " " + created.body());
            }
            long id = created.json().path("id").asLong(created.json().path("campaign").path("id").asLong());
            context.progress("campaign %d: %,d devices, concurrency %d, image %,d bytes", id, s.devices(),
                    s.concurrency(), s.imageBytes());
            JsonNode counts = null;
            long deadline = start + s.timeout().toNanos();
            long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                JsonNode state = api.get("/api/v1/campaigns/" + id).json();
                counts = state.path("counts");
                long done = counts.path("succeeded").asLong() + counts.path("failed").asLong()
                        + counts.path("cancelled").asLong();
                if (done >= s.devices()) {
                    break;
                }
                if (System.nanoTime() > nextReport) {
                    context.progress("campaign: %s", counts);
                    nextReport += TimeUnit.SECONDS.toNanos(10);
                }
                TimeUnit.MILLISECONDS.sleep(250);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = server.cpuSeconds() - cpu0;
            long succeeded = counts == null ? 0 : counts.path("succeeded").asLong();
            long failed = s.devices() - succeeded;
            double bytes = (double) succeeded * s.imageBytes();
            double blocks = succeeded * Math.ceil(s.imageBytes() / (double) BLOCK);
            result.add(Figure.below("total time", seconds, "s", 60));
            result.add(Figure.of("image bytes/s", bytes / seconds, "B/s"));
            result.add(Figure.of("blocks/s", blocks / seconds, "1/s"));
            result.add(Figure.of("succeeded", succeeded, ""));
            result.add(Figure.atMost("failures", failed, "", 0));
            result.add(Figure.of("server CPU", cpu, "s"));
            result.note("final counts: " + counts);
        }
        return result;
    }

    /** An image that says its version in a first line {@code SIMFW <version>}, then pseudo-random bytes. */
    static byte[] image(int size, String version) {
        byte[] bytes = new byte[size];
        new Random(42).nextBytes(bytes);
        byte[] header = ("SIMFW " + version + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, bytes, 0, Math.min(header.length, size));
        return bytes;
    }

    /**
     * Waits until the server knows every device's firmware version (it reads them after the registration storm has
     * passed): a campaign is measured against a fleet the server knows, not one it is still reading.
     */
    private static void awaitInventory(Scenario.Context context, FleetApi api, BenchSettings s) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        long known = 0;
        while (System.nanoTime() < deadline) {
            FleetApi.Reply versions = api.get("/api/v1/firmware/versions");
            known = 0;
            for (JsonNode version : versions.json().path("items")) {
                known += version.path("devices").asLong();
            }
            if (known >= s.devices()) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        context.progress("the server knows the firmware of %,d of %,d devices; starting the campaign anyway", known,
                s.devices());
    }
}
