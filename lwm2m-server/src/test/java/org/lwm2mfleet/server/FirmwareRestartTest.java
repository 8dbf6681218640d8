package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.objects.FirmwareUpdateObject;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** What a restart of the server does to firmware work under way: it carries on from where the devices are. */
class FirmwareRestartTest {

    @TempDir
    Path dir;

    @Test
    void aCampaignCarriesOnAfterARestartFromWhatTheDeviceDidMeanwhile() throws Exception {
        // The stall timeout is the default ten minutes: the campaign must not be waiting for it.
        try (TestServer server = TestServer.start(dir, c -> c.firmwareStallTimeout(Duration.ofMinutes(10)));
                Devices devices = new Devices()) {
            assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"restart-1\",\"credentials\":"
                    + "{\"kind\":\"none\"}}").status()).isEqualTo(201);
            // Plain CoAP and a short lifetime: after the restart the device finds out quickly and registers again.
            SimulatedDevice device = devices.start("restart-1", Profile.WATER_METER, server.server().coapUri(),
                    DeviceSecurity.none(), Duration.ofSeconds(6));
            RegistryLifecycleTest.awaitStatus(server, "restart-1", "online");
            CompletableFuture<Void> gate = new CompletableFuture<>();
            device.firmware().holdDownloaded(gate);
            long imageId = CampaignTest.upload(server, "restart-fw", "8.0.0", 30_000);
            Api.Reply created = server.api().post("/api/v1/campaigns", "{\"name\":\"restart\",\"imageId\":" + imageId
                    + ",\"devices\":[\"restart-1\"],\"maxAttempts\":1}");
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            long campaignId = created.json().at("/campaign/id").asLong();
            await().atMost(Duration.ofSeconds(30)).until(() -> device.firmware().holdingDownloaded());
            long updateId = server.api().get("/api/v1/devices/restart-1/firmware-updates").json()
                    .at("/items/0/id").asLong();
            await().atMost(Duration.ofSeconds(10)).until(() -> "downloading".equals(
                    server.api().get("/api/v1/firmware-updates/" + updateId).json().at("/update/status").asText()));

            // While the server is stopped the device finishes its download: the notification goes nowhere.
            server.restart(() -> {
                gate.complete(null);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> device.firmware().state() == FirmwareUpdateObject.DOWNLOADED);
            });

            // At its next registration the server reads object 5, executes Update, and the campaign finishes.
            JsonNode finished = await().atMost(Duration.ofSeconds(60)).until(
                    () -> server.api().get("/api/v1/campaigns/" + campaignId).json(),
                    c -> Stream.of("finished", "paused").anyMatch(s -> s.equals(c.at("/campaign/status").asText())));
            assertThat(finished.at("/campaign/status").asText()).as(finished.toString()).isEqualTo("finished");
            assertThat(finished.at("/counts/succeeded").asInt()).isEqualTo(1);
            JsonNode update = server.api().get("/api/v1/firmware-updates/" + updateId).json();
            assertThat(update.at("/update/status").asText()).isEqualTo("succeeded");
            assertThat(update.get("history").findValuesAsText("status")).containsSubsequence("downloading",
                    "downloaded", "updating", "succeeded");
            assertThat(device.objects().device().firmwareVersion()).isEqualTo("8.0.0");
            // One update: the restart did not fail it for a retry.
            assertThat(server.api().get("/api/v1/devices/restart-1/firmware-updates").json().get("items").size())
                    .isEqualTo(1);
        }
    }

    @Test
    void anInterruptedUploadLeavesNoPartFileAfterARestart() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            Path folder = server.dataDir().resolve("firmware");
            long kept = CampaignTest.upload(server, "kept-fw", "1.0.0", 2_000);
            // A crash (kill -9) in the middle of an upload leaves its temporary file, since the upload's own clean-up
            // never runs: the test puts one there as such a crash would.
            Path part = Files.createTempFile(folder, "upload-", ".part");
            Files.write(part, new byte[4096]);

            server.restart();

            try (Stream<Path> files = Files.list(folder)) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".part"))
                        .hasSize(1);
            }
            assertThat(server.api().get("/api/v1/firmware/" + kept).status()).isEqualTo(200);
        }
    }
}
