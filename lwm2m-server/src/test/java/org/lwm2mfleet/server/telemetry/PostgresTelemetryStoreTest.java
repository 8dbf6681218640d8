package org.lwm2mfleet.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.telemetry.TelemetryService.Bucket;
import org.lwm2mfleet.server.telemetry.TelemetryService.Latest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The partitioned PostgreSQL store on the local PostgreSQL, each test in a fresh database: partitions created ahead
 * and on demand, COPY ingest through the server's writer, raw / downsampled / latest queries, retention dropping whole
 * days, and the carry-over of V1's plain table.
 */
class PostgresTelemetryStoreTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final long MINUTE = 60_000L;
    /** Survives COPY's text format: tab, newline, carriage return, backslash, quotes, non-ASCII. */
    private static final String AWKWARD = "Acme\t\"Ltd\"\nline\r2 \\ back 'q' ü €";

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private PostgresDatabases database;
    private Jdbc jdbc;

    @BeforeEach
    void freshDatabase() throws Exception {
        database = PostgresDatabases.create("pgtelemetry");
        jdbc = Jdbc.over(database.dataSource);
    }

    @AfterEach
    void dropDatabase() throws Exception {
        database.close();
    }

    @Test
    void aWeekOfPointsIsQueriedAndRetentionDropsWholeDays() throws Exception {
        TelemetryStore store = TelemetryStores.forDataSource(database.dataSource, jdbc, clock);
        assertThat(store).isInstanceOf(PostgresTelemetryStore.class);
        PostgresTelemetryStore postgres = (PostgresTelemetryStore) store;
        // Created ahead at start: today and the next two days.
        assertThat(postgres.partitionNames()).containsExactly("telemetry_points_p20261124",
                "telemetry_points_p20261125", "telemetry_points_p20261126");

        // Nov 18 00:00 to Nov 24 11:50, a temperature every 10 minutes (value: minute of its day) on two devices,
        // and the manufacturer once a day. The past days' partitions are created by the writes themselves.
        Instant start = Instant.parse("2026-11-18T00:00:00Z");
        List<TelemetryPoint> points = new ArrayList<>();
        for (long t = start.toEpochMilli(); t < NOW.toEpochMilli(); t += 10 * MINUTE) {
            double minuteOfDay = Math.floorMod(t, 86_400_000L) / (double) MINUTE;
            for (String endpoint : List.of("meter-a", "meter-b")) {
                points.add(new TelemetryPoint(endpoint, "/3303/0/5700", t, minuteOfDay, null, "FLOAT", "observe"));
            }
            if (minuteOfDay == 0) {
                String day = LocalDate.ofInstant(Instant.ofEpochMilli(t), ZoneOffset.UTC).toString();
                points.add(new TelemetryPoint("meter-a", "/3/0/0", t + 1, null, AWKWARD + " " + day, "STRING",
                        "send"));
            }
        }
        int temperatures = (6 * 24 + 12) * 6; // 6 full days and a half, 6 points an hour
        assertThat(points).hasSize(2 * temperatures + 7);

        TelemetryService telemetry = new TelemetryService(store, clock, Duration.ofDays(3), Duration.ofHours(1),
                new org.lwm2mfleet.server.runtime.Scheduler(1));
        try (TelemetryWriter writer = new TelemetryWriter(store, 10_000, 500, Duration.ofMillis(50),
                new SimpleMeterRegistry())) {
            writer.start();
            assertThat(writer.offer(points)).isZero();
            await().atMost(Duration.ofSeconds(20)).until(() -> telemetry.count("meter-a") == temperatures + 7);
            assertThat(telemetry.count("meter-b")).isEqualTo(temperatures);
            assertThat(writer.health().up()).isTrue();
        }
        assertThat(postgres.partitionNames()).hasSize(9).first().isEqualTo("telemetry_points_p20261118");

        // Raw points, oldest first.
        Instant nov20 = Instant.parse("2026-11-20T00:00:00Z");
        assertThat(telemetry.points("meter-a", "/3303/0/5700", nov20, nov20.plusSeconds(3600), 3))
                .extracting(TelemetryService.Point::time)
                .containsExactly(nov20, nov20.plusSeconds(600), nov20.plusSeconds(1200));
        assertThat(telemetry.points("meter-a", "/3/0/0", nov20, nov20.plusSeconds(60), 10))
                .extracting(TelemetryService.Point::text).containsExactly(AWKWARD + " 2026-11-20");

        // Downsampled per hour over the week: every hour present, six points each.
        List<Bucket> hourly = telemetry.downsampled("meter-b", "/3303/0/5700", start, NOW, Duration.ofHours(1));
        assertThat(hourly).hasSize(6 * 24 + 12).allSatisfy(b -> assertThat(b.count()).isEqualTo(6));
        Bucket threeAm = hourly.get(2 * 24 + 3);
        assertThat(threeAm.time()).isEqualTo(Instant.parse("2026-11-20T03:00:00Z"));
        assertThat(threeAm.min()).isEqualTo(180.0);
        assertThat(threeAm.max()).isEqualTo(230.0);
        assertThat(threeAm.avg()).isEqualTo(205.0);
        List<Bucket> daily = telemetry.downsampled("meter-b", "/3303/0/5700", start, NOW, Duration.ofDays(1));
        assertThat(daily).extracting(Bucket::count).containsExactly(144L, 144L, 144L, 144L, 144L, 144L, 72L);
        assertThat(daily.get(6).max()).isEqualTo(710.0);

        // A day's query reads that day's partition only: the months stored around it cost nothing.
        assertThat(plan("SELECT (ts_ms - 0) / 60000, AVG(num_value) FROM telemetry_points WHERE endpoint = 'meter-a'"
                + " AND path = '/3303/0/5700' AND ts_ms >= " + nov20.toEpochMilli() + " AND ts_ms < "
                + nov20.plusSeconds(86_400).toEpochMilli() + " GROUP BY 1"))
                .contains("telemetry_points_p20261120").doesNotContain("telemetry_points_p20261119")
                .doesNotContain("telemetry_points_p20261121");

        // The newest of each path.
        List<Latest> latest = telemetry.latest("meter-a");
        assertThat(latest).extracting(Latest::path).containsExactly("/3/0/0", "/3303/0/5700");
        assertThat(latest.get(0).text()).isEqualTo(AWKWARD + " 2026-11-24");
        assertThat(latest.get(1).time()).isEqualTo(Instant.parse("2026-11-24T11:50:00Z"));
        assertThat(latest.get(1).number()).isEqualTo(710.0);
        assertThat(latest.get(1).type()).isEqualTo("FLOAT");

        // Retention of 3 days at Nov 24 12:00: cutoff Nov 21 12:00; Nov 18, 19 and 20 end before it and go whole,
        // Nov 21 holds the cutoff and stays whole until tomorrow's run.
        jdbc.update("ANALYZE telemetry_points");
        long removed = telemetry.applyRetention();
        assertThat(removed).as("the planner's count of the dropped days' rows").isEqualTo(3 * (2 * 144 + 1));
        assertThat(postgres.partitionNames()).containsExactly("telemetry_points_p20261121",
                "telemetry_points_p20261122", "telemetry_points_p20261123", "telemetry_points_p20261124",
                "telemetry_points_p20261125", "telemetry_points_p20261126");
        Instant nov21 = Instant.parse("2026-11-21T00:00:00Z");
        assertThat(telemetry.points("meter-a", "/3303/0/5700", start, nov21, 10_000)).isEmpty();
        assertThat(telemetry.points("meter-a", "/3303/0/5700", nov21, nov21.plusSeconds(1), 10))
                .extracting(TelemetryService.Point::time).containsExactly(nov21);
        assertThat(telemetry.count("meter-b")).isEqualTo(temperatures - 3 * 144);
        assertThat(telemetry.applyRetention()).as("nothing more to drop today").isZero();
        telemetry.close();

        // A deleted device's series go with it.
        store.deleteEndpoint("meter-b");
        assertThat(store.count("meter-b")).isZero();
        assertThat(store.count("meter-a")).isEqualTo(temperatures + 7 - 3 * 145);
    }

    @Test
    void twoHundredThousandPointsAreCopiedThroughTheWriter() throws Exception {
        TelemetryStore store = TelemetryStores.forDataSource(database.dataSource, jdbc, clock);
        int total = 200_000;
        // 2,000 devices x 100 points over the last 30 hours: yesterday's partition is made by the first write to it.
        List<TelemetryPoint> points = new ArrayList<>(total);
        long first = NOW.minus(Duration.ofHours(30)).toEpochMilli();
        for (int i = 0; i < total; i++) {
            long t = first + i * (30 * 3_600_000L / total);
            points.add(new TelemetryPoint(String.format("dev-%05d", i % 2000), "/3303/" + (i % 3) + "/5700", t,
                    i * 0.5, null, "FLOAT", "send"));
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        long t0 = System.nanoTime();
        try (TelemetryWriter writer = new TelemetryWriter(store, total, 500, Duration.ofMillis(50), meters)) {
            writer.start();
            assertThat(writer.offer(points)).isZero();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> meters.counter("telemetry.points.stored").count() >= total);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("PostgreSQL COPY ingest: %,d points in %.2f s = %,.0f points/s%n", total, seconds,
                    total / seconds);
            assertThat(writer.health().up()).isTrue();
        }
        assertThat(jdbc.queryOne("SELECT COUNT(*) AS n FROM telemetry_points", r -> r.getLong("n"))).contains(
                (long) total);
        assertThat(jdbc.queryOne("SELECT COUNT(*) AS n FROM telemetry_points_p20261123", r -> r.getLong("n"))
                .orElseThrow() + jdbc.queryOne("SELECT COUNT(*) AS n FROM telemetry_points_p20261124",
                        r -> r.getLong("n")).orElseThrow()).isEqualTo(total);
        assertThat(store.count("dev-00042")).isEqualTo(100);
        assertThat(store.latest("dev-00042")).extracting(Latest::path).containsExactly("/3303/0/5700",
                "/3303/1/5700", "/3303/2/5700");
    }

    @Test
    void aDayDroppedByAnotherNodeIsRecreatedByTheNextWrite() throws Exception {
        PostgresTelemetryStore store = (PostgresTelemetryStore) TelemetryStores.forDataSource(database.dataSource,
                jdbc, clock);
        store.write(List.of(point("n1", NOW.toEpochMilli())));
        // Another node's retention (or an operator) drops today's partition while this node believes in it.
        jdbc.update("DROP TABLE telemetry_points_p20261124");
        store.write(List.of(point("n1", NOW.toEpochMilli() + 1), point("n1", NOW.toEpochMilli() + 2)));
        assertThat(store.count("n1")).isEqualTo(2);
        assertThat(store.partitionNames()).contains("telemetry_points_p20261124");
    }

    @Test
    void rowsOfTheFirstSchemasPlainTableAreCarriedIntoPartitions() throws Exception {
        database.close();
        database = PostgresDatabases.createAt("pgtelemetry", "1");
        jdbc = Jdbc.over(database.dataSource);
        long[] times = { Instant.parse("2026-11-01T23:59:59.999Z").toEpochMilli(),
                Instant.parse("2026-11-02T00:00:00Z").toEpochMilli() };
        for (long t : times) {
            jdbc.update("INSERT INTO telemetry_points (endpoint, path, ts_ms, num_value, value_type, source)"
                    + " VALUES ('old-1', '/3303/0/5700', ?, 21.5, 'FLOAT', 'observe')", t);
        }
        database.migrate();

        assertThat(jdbc.queryOne("SELECT relkind::text AS k FROM pg_class WHERE relname = 'telemetry_points'",
                r -> r.getString("k"))).contains("p");
        PostgresTelemetryStore store = new PostgresTelemetryStore(database.dataSource, jdbc);
        assertThat(store.partitionNames()).containsExactly("telemetry_points_p20261101", "telemetry_points_p20261102");
        assertThat(store.points("old-1", "/3303/0/5700", 0, Long.MAX_VALUE, 10))
                .extracting(p -> p.time().toEpochMilli()).containsExactly(LongStream.of(times).boxed()
                        .toArray(Long[]::new));
    }

    private static TelemetryPoint point(String endpoint, long time) {
        return new TelemetryPoint(endpoint, "/3303/0/5700", time, 1.0, null, "FLOAT", "observe");
    }

    private String plan(String sql) throws Exception {
        StringBuilder plan = new StringBuilder();
        try (Connection connection = database.dataSource.getConnection();
                ResultSet rows = connection.createStatement().executeQuery("EXPLAIN " + sql)) {
            while (rows.next()) {
                plan.append(rows.getString(1)).append('\n');
            }
        }
        return plan.toString();
    }
}
