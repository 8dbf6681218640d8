package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.telemetry.DeviceTimestamps;
import org.lwm2mfleet.server.telemetry.TelemetryPoint;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Dates outside what can be stored: in a query they are a 400 naming the field; from a device's clock they are
 * dropped or moved to the arrival time, and counted. */
class TelemetryBoundsTest {

    private static final String TEMPERATURE = "/3303/0/5700";
    private static final String SERIES = "/api/v1/devices/q-1/telemetry?path=/3/0/13";

    @TempDir
    Path dir;

    @Test
    void extremeAndInvertedQueryDatesAre400NamingTheField() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            server.api().post("/api/v1/devices", "{\"endpoint\":\"q-1\",\"credentials\":{\"kind\":\"none\"}}");
            // Instant.parse takes these; their milliseconds do not fit a long (they were a 500).
            assertProblem(server.api().get(SERIES + "&from=%2B1000000000-01-01T00:00:00Z"), 400, "from");
            assertProblem(server.api().get(SERIES + "&to=-999999999-01-01T00:00:00Z"), 400, "to");
            assertProblem(server.api().get(SERIES + "&from=-999999999-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"),
                    400, "from");
            assertProblem(server.api().get(SERIES + "&from=2026-01-01T00:00:00Z&to=%2B999999999-12-31T00:00:00Z"
                    + "&step=PT1H"), 400, "to");
            // Inverted.
            assertProblem(server.api().get(SERIES + "&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"), 400,
                    "from");
            assertProblem(server.api().get(SERIES + "&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=PT1M"),
                    400, "from");
            // Steps whose milliseconds overflow.
            assertProblem(server.api().get(SERIES + "&step=PT9999999999999999H"), 400, "step");
            assertProblem(server.api().get(SERIES + "&step=PT-9999999999999999H"), 400, "step");
            // The edges themselves are fine.
            assertThat(server.api().get(SERIES + "&from=1970-01-01T00:00:00Z&to=9999-12-31T23:59:59Z").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void deviceTimestampsOutsideTheRetentionOrAheadAreDroppedOrMovedAndCounted() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (TestServer server = TestServer.start(dir, clock, c -> {
        }); Devices devices = new Devices()) {
            SimulatedDevice sensor = devices.startPsk(server, "bounds", "stamped-1", Profile.ENVIRONMENT_SENSOR);

            // The server is ten years on: the device's timestamps (its own clock) are older than the retention.
            clock.advance(Duration.ofDays(3650));
            sensor.sendTimestamped(List.of(TEMPERATURE));
            await().atMost(Duration.ofSeconds(10)).until(() -> counter(server, "dropped") >= 1);
            assertThat(latest(server).size()).isZero();

            // The server is ten years back: the device's timestamps are ten years ahead.
            clock.advance(Duration.ofDays(-7300));
            sensor.sendTimestamped(List.of(TEMPERATURE));
            await().atMost(Duration.ofSeconds(10)).until(() -> latest(server).size() == 1);
            assertThat(counter(server, "clamped")).isGreaterThanOrEqualTo(1);
            Instant stored = Instant.parse(latest(server).get(0).get("time").asText());
            // Stored at the server's arrival time, so the retention deletes it like any other point.
            assertThat(Duration.between(stored, clock.instant()).abs()).isLessThan(Duration.ofMinutes(1));
        }
    }

    @Test
    void pointsWithinTheWindowAreKeptAsTheyAre() {
        Instant now = Instant.parse("2026-11-24T12:00:00Z");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        DeviceTimestamps timestamps = new DeviceTimestamps(Clock.fixed(now, ZoneOffset.UTC), Duration.ofDays(30),
                meters);
        List<TelemetryPoint> admitted = timestamps.admit(List.of(point(now.minus(Duration.ofDays(29))),
                point(now.minus(Duration.ofDays(31))), point(now.plus(Duration.ofMinutes(4))),
                point(now.plus(Duration.ofDays(400)))));
        assertThat(admitted).extracting(TelemetryPoint::timeMillis).containsExactly(
                now.minus(Duration.ofDays(29)).toEpochMilli(), now.plus(Duration.ofMinutes(4)).toEpochMilli(),
                now.toEpochMilli());
        assertThat(meters.get("telemetry.device.timestamps.out.of.range").tag("outcome", "dropped").counter()
                .count()).isEqualTo(1);
        assertThat(meters.get("telemetry.device.timestamps.out.of.range").tag("outcome", "clamped").counter()
                .count()).isEqualTo(1);
    }

    private static TelemetryPoint point(Instant at) {
        return new TelemetryPoint("e", "/3303/0/5700", at.toEpochMilli(), 21.5, null, "FLOAT", "send");
    }

    private static JsonNode latest(TestServer server) {
        return server.api().get("/api/v1/devices/stamped-1/telemetry/latest").json().get("items");
    }

    private static double counter(TestServer server, String outcome) {
        return server.api().get("/metrics").text().lines()
                .filter(l -> l.startsWith("telemetry_device_timestamps_out_of_range_total{outcome=\"" + outcome + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
