package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/** A campaign's devices a page at a time, in campaign order, filtered by state, over the API. */
class CampaignDevicesPageTest {

    @TempDir
    Path dir;

    @Test
    void pagesTheDevicesOfACampaignInOrderAndFiltersThemByState() throws Exception {
        try (TestServer server = TestServer.start(dir); Devices devices = new Devices()) {
            List<String> endpoints = IntStream.rangeClosed(1, 12).mapToObj(n -> String.format("page-%02d", n)).toList();
            for (String endpoint : endpoints) {
                assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"" + endpoint
                        + "\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
            }
            // Two devices are there to be updated; the ten others stay offline, so pending.
            for (String endpoint : List.of("page-03", "page-07")) {
                devices.start(endpoint, Profile.WATER_METER, server.server().coapUri(), DeviceSecurity.none());
                RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
            }
            long imageId = CampaignTest.upload(server, "page-fw", "2.0.0", 3_000);
            Api.Reply created = server.api().post("/api/v1/campaigns", "{\"name\":\"pages\",\"imageId\":" + imageId
                    + ",\"devices\":[\"" + String.join("\",\"", endpoints) + "\"],\"concurrency\":4}");
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            String base = "/api/v1/campaigns/" + created.json().at("/campaign/id").asLong() + "/devices";

            JsonNode succeeded = await().atMost(Duration.ofSeconds(60)).until(
                    () -> server.api().get(base + "?state=succeeded").json(), page -> page.get("items").size() == 2);
            assertThat(succeeded.get("items").findValuesAsText("endpoint")).containsExactly("page-03", "page-07");
            assertThat(succeeded.get("items").findValuesAsText("state")).containsOnly("succeeded");
            assertThat(succeeded.get("nextCursor").isNull()).isTrue();

            // Every device once, in campaign order, five at a time.
            List<List<String>> pages = pages(server, base + "?limit=5");
            assertThat(pages).extracting(List::size).containsExactly(5, 5, 2);
            assertThat(pages.stream().flatMap(List::stream).toList()).isEqualTo(endpoints);

            // The pending ones, four at a time: the two updated devices are not among them.
            List<String> pending = pages(server, base + "?state=pending&limit=4").stream().flatMap(List::stream)
                    .toList();
            assertThat(pending).hasSize(10).doesNotContain("page-03", "page-07");
            JsonNode counts = server.api().get(base.replace("/devices", "")).json().get("counts");
            assertThat(counts.get("succeeded").asInt()).isEqualTo(2);
            assertThat(counts.get("pending").asInt()).isEqualTo(10);

            // Without a limit: the first page of 100, the shape the console and scripts already read.
            JsonNode all = server.api().get(base).json();
            assertThat(all.get("items").size()).isEqualTo(12);
            assertThat(all.get("nextCursor").isNull()).isTrue();

            DeviceOperationsTest.assertProblem(server.api().get(base + "?state=sleepy"), 400, "state");
            DeviceOperationsTest.assertProblem(server.api().get(base + "?limit=0"), 400, "limit");
            DeviceOperationsTest.assertProblem(server.api().get(base + "?limit=501"), 400, "limit");
            DeviceOperationsTest.assertProblem(server.api().get(base + "?after=page-05"), 400, "after");
            DeviceOperationsTest.assertProblem(server.api().get("/api/v1/campaigns/999/devices"), 404, null);
        }
    }

    /** Follows nextCursor from the first page to the last; each page's endpoints. */
    private static List<List<String>> pages(TestServer server, String first) {
        List<List<String>> pages = new ArrayList<>();
        String cursor = null;
        do {
            Api.Reply reply = server.api().get(first + (cursor == null ? "" : "&after=" + cursor));
            assertThat(reply.status()).as(reply.text()).isEqualTo(200);
            pages.add(reply.json().get("items").findValuesAsText("endpoint"));
            cursor = reply.json().get("nextCursor").isNull() ? null : reply.json().get("nextCursor").asText();
            assertThat(pages).hasSizeLessThan(20);
        } while (cursor != null);
        return pages;
    }
}
