package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.telemetry.TelemetryPoint;
import org.lwm2mfleet.server.telemetry.TelemetryService;
import org.lwm2mfleet.server.telemetry.TelemetryWriter;
import org.lwm2mfleet.server.store.Database;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** History queries, downsampling, retention and the notification stream over the stored time series. */
class TelemetryQueryTest {

    private static final Instant HOUR = Instant.parse("2026-11-24T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void anHourOfHistoryDownsampledToMinutes() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"meter-h\",\"credentials\":{\"kind\":\"none\"}}");
            store(server, "meter-h", HOUR, 3600, 10); // a point every 10 s: value = second of the hour

            JsonNode series = server.api().get("/api/v1/devices/meter-h/telemetry?path=/3305/0/5800&from="
                    + HOUR + "&to=" + HOUR.plusSeconds(3600) + "&step=PT1M").json();
            JsonNode buckets = series.get("buckets");
            assertThat(buckets.size()).isEqualTo(60);
            JsonNode third = buckets.get(2);
            assertThat(third.get("time").asText()).isEqualTo("2026-11-24T10:02:00Z");
            assertThat(third.get("min").asDouble()).isEqualTo(120.0);
            assertThat(third.get("max").asDouble()).isEqualTo(170.0);
            assertThat(third.get("avg").asDouble()).isEqualTo(145.0);
            assertThat(third.get("count").asLong()).isEqualTo(6);

            JsonNode raw = server.api().get("/api/v1/devices/meter-h/telemetry?path=/3305/0/5800&from=" + HOUR
                    + "&to=" + HOUR.plusSeconds(60) + "&limit=3").json();
            assertThat(raw.get("points").findValuesAsText("time")).containsExactly("2026-11-24T10:00:00Z",
                    "2026-11-24T10:00:10Z", "2026-11-24T10:00:20Z");
        }
    }

    @Test
    void retentionDeletesOldPointsInBatches() throws Exception {
        TestDatabase postgresql = TestDatabase.postgresql() ? TestDatabase.create() : null;
        try (postgresql; Database database = postgresql != null
                ? Database.open(postgresql.url(), TestDatabase.USER, null, 8)
                : Database.open("jdbc:h2:mem:retention;DB_CLOSE_DELAY=-1");
                TelemetryWriter writer = new TelemetryWriter(database.jdbc(), 100_000, 500,
                        Duration.ofMillis(50), new SimpleMeterRegistry());
                org.lwm2mfleet.server.runtime.Scheduler scheduler = new org.lwm2mfleet.server.runtime.Scheduler(1)) {
            writer.start();
            scheduler.start();
            Instant now = Instant.parse("2026-11-24T12:00:00Z");
            List<TelemetryPoint> points = new ArrayList<>();
            for (int i = 0; i < 12_000; i++) {
                // 11,000 points two days old, 1,000 fresh ones.
                Instant at = i < 11_000 ? now.minus(Duration.ofDays(2)) : now.minusSeconds(60);
                points.add(new TelemetryPoint("old-1", "/3/0/13", at.toEpochMilli() + i, (double) i, null, "FLOAT",
                        "observe"));
            }
            writer.offer(points);
            TelemetryService telemetry = new TelemetryService(database.jdbc(),
                    java.time.Clock.fixed(now, java.time.ZoneOffset.UTC), Duration.ofDays(1), Duration.ofHours(1),
                    scheduler);
            await().atMost(Duration.ofSeconds(10)).until(() -> telemetry.count("old-1") == 12_000);

            assertThat(telemetry.applyRetention()).isEqualTo(11_000);
            assertThat(telemetry.count("old-1")).isEqualTo(1_000);
            telemetry.close();
        }
    }

    @Test
    void notificationsAreStreamedPerEndpoint() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"streamed-n\",\"credentials\":{\"kind\":\"none\"}}");
            HttpRequest request = server.api().request(
                    "/api/v1/events?type=notification&endpoint=streamed-n").build();
            HttpResponse<Stream<String>> response = server.api().http().sendAsync(request, BodyHandlers.ofLines())
                    .get(10, TimeUnit.SECONDS);
            CompletableFuture<String> firstData = CompletableFuture.supplyAsync(() -> response.body()
                    .filter(line -> line.startsWith("data: ")).findFirst().orElseThrow());

            // A notification as the reporting bridge publishes it, for another device first: filtered out.
            server.server().events().publish("notification", "someone-else", java.util.Map.of("source", "observe"));
            server.server().events().publish("notification", "streamed-n", java.util.Map.of("source", "send"));

            JsonNode event = Json.MAPPER.readTree(firstData.get(10, TimeUnit.SECONDS).substring(6));
            assertThat(event.get("endpoint").asText()).isEqualTo("streamed-n");
            assertThat(event.at("/data/source").asText()).isEqualTo("send");
            response.body().close();
        }
    }

    /** Points as notifications would leave them, written through the server's own writer path (SQL insert). */
    private static void store(TestServer server, String endpoint, Instant start, int seconds, int every)
            throws Exception {
        try (var connection = server.connectToDatabase();
                var insert = connection.prepareStatement("INSERT INTO telemetry_points (endpoint, path, ts_ms,"
                        + " num_value, value_type, source) VALUES (?, '/3305/0/5800', ?, ?, 'FLOAT', 'observe')")) {
            for (int s = 0; s < seconds; s += every) {
                insert.setString(1, endpoint);
                insert.setLong(2, start.plusSeconds(s).toEpochMilli());
                insert.setDouble(3, s);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }
}
