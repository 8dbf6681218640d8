package org.lwm2mfleet.server.telemetry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.runtime.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time series of reported values (table telemetry_points): queries, raw or downsampled per step, the latest value
 * of every path, and retention, which deletes old points in small batches so that it never holds long locks.
 */
public final class TelemetryService implements org.lwm2mfleet.server.runtime.Lifecycle,
        org.lwm2mfleet.server.device.DeviceDataOwner {

    private static final Logger LOG = LoggerFactory.getLogger(TelemetryService.class);
    static final int RETENTION_BATCH = 5_000;
    public static final int MAX_POINTS = 10_000;

    /** A stored value. */
    public record Point(Instant time, Double number, String text) {
    }

    /** min/max/avg of the points of one step. */
    public record Bucket(Instant time, double min, double max, double avg, long count) {
    }

    /** The latest value of one path. */
    public record Latest(String path, Instant time, Double number, String text, String type) {
    }

    private final Jdbc jdbc;
    private final Clock clock;
    private final Duration retention;
    private final Duration retentionPeriod;
    private final Scheduler scheduler;
    private final List<AutoCloseable> started = new java.util.concurrent.CopyOnWriteArrayList<>();

    public TelemetryService(Jdbc jdbc, Clock clock, Duration retention, Duration retentionPeriod,
            Scheduler scheduler) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.retention = retention;
        this.retentionPeriod = retentionPeriod;
        this.scheduler = scheduler;
    }

    @Override
    public void start() {
        started.add(scheduler.every("telemetry-retention", retentionPeriod, retentionPeriod,
                this::applyRetentionQuietly));
    }

    public List<Point> points(String endpoint, String path, Instant from, Instant to, int limit) {
        checkRange(from, to);
        return jdbc.query("SELECT ts_ms, num_value, str_value FROM telemetry_points WHERE endpoint = ? AND path = ?"
                + " AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms LIMIT ?", row -> new Point(
                        Instant.ofEpochMilli(row.getLong("ts_ms")), nullableDouble(row, "num_value"),
                        row.getString("str_value")),
                endpoint, path, from.toEpochMilli(), to.toEpochMilli(), limit);
    }

    public List<Bucket> downsampled(String endpoint, String path, Instant from, Instant to, Duration step) {
        checkRange(from, to);
        long stepMillis = step.toMillis();
        if (stepMillis < 1000) {
            throw FleetException.invalid("step", "must be at least 1 s");
        }
        if ((to.toEpochMilli() - from.toEpochMilli()) / stepMillis > MAX_POINTS) {
            throw FleetException.invalid("step", "gives more than " + MAX_POINTS + " buckets; use a larger step");
        }
        return jdbc.query("SELECT (ts_ms - ?) / ? AS bucket, MIN(num_value) AS lo, MAX(num_value) AS hi,"
                + " AVG(num_value) AS mean, COUNT(num_value) AS n FROM telemetry_points"
                + " WHERE endpoint = ? AND path = ? AND ts_ms >= ? AND ts_ms < ? AND num_value IS NOT NULL"
                + " GROUP BY bucket ORDER BY bucket", row -> new Bucket(
                        Instant.ofEpochMilli(from.toEpochMilli() + row.getLong("bucket") * stepMillis),
                        row.getDouble("lo"), row.getDouble("hi"), row.getDouble("mean"), row.getLong("n")),
                from.toEpochMilli(), stepMillis, endpoint, path, from.toEpochMilli(), to.toEpochMilli());
    }

    /** The newest point of every path the device reported. */
    public List<Latest> latest(String endpoint) {
        return jdbc.query("SELECT p.path, p.ts_ms, p.num_value, p.str_value, p.value_type FROM telemetry_points p"
                + " JOIN (SELECT path, MAX(id) AS id FROM telemetry_points WHERE endpoint = ? GROUP BY path) newest"
                + " ON p.id = newest.id ORDER BY p.path", row -> new Latest(row.getString("path"),
                        Instant.ofEpochMilli(row.getLong("ts_ms")), nullableDouble(row, "num_value"),
                        row.getString("str_value"), row.getString("value_type")), endpoint);
    }

    public long count(String endpoint) {
        return jdbc.queryOne("SELECT COUNT(*) AS n FROM telemetry_points WHERE endpoint = ?",
                row -> row.getLong("n"), endpoint).orElse(0L);
    }

    /** Deletes points older than the retention, a batch at a time; returns how many went. */
    public long applyRetention() {
        long cutoff = clock.instant().minus(retention).toEpochMilli();
        long total = 0;
        int deleted;
        do {
            // The id of the batch's last row first, then a plain range delete: an IN (subquery) is far slower.
            long upTo = jdbc.queryOne("SELECT MAX(id) AS id FROM (SELECT id FROM telemetry_points WHERE ts_ms < ?"
                    + " ORDER BY id FETCH FIRST " + RETENTION_BATCH + " ROWS ONLY) batch", row -> row.getLong("id"),
                    cutoff).orElse(0L);
            deleted = upTo == 0 ? 0
                    : jdbc.update("DELETE FROM telemetry_points WHERE id <= ? AND ts_ms < ?", upTo, cutoff);
            total += deleted;
        } while (deleted >= RETENTION_BATCH);
        if (total > 0) {
            LOG.info("telemetry retention deleted {} points older than {}", total, Instant.ofEpochMilli(cutoff));
        }
        return total;
    }

    private void applyRetentionQuietly() {
        try {
            applyRetention();
        } catch (RuntimeException e) {
            LOG.warn("telemetry retention failed, will retry", e);
        }
    }

    private static void checkRange(Instant from, Instant to) {
        if (!from.isBefore(to)) {
            throw FleetException.invalid("from", "must be before to");
        }
    }

    private static Double nullableDouble(java.sql.ResultSet row, String column) throws java.sql.SQLException {
        double value = row.getDouble(column);
        return row.wasNull() ? null : value;
    }

    /** In the device's deletion transaction: its series go with it. */
    @Override
    public void deleteAllOf(String endpoint) {
        jdbc.update("DELETE FROM telemetry_points WHERE endpoint = ?", endpoint);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable part : started) {
            part.close();
        }
        started.clear();
    }

    /** A newest point as the API shows it: path, time, value (typed), type. */
    public static Map<String, Object> json(Latest latest) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", latest.path());
        json.put("time", latest.time());
        json.put("value", value(latest.number(), latest.text(), latest.type()));
        json.put("type", latest.type());
        return json;
    }

    /** A point's value in JSON: the number for numeric types, the text otherwise, booleans as booleans. */
    static Object value(Double number, String text, String type) {
        if ("BOOLEAN".equals(type)) {
            return Boolean.valueOf(text);
        }
        if ("INTEGER".equals(type) || "UNSIGNED_INTEGER".equals(type)) {
            return number == null ? null : number.longValue();
        }
        if ("FLOAT".equals(type)) {
            return number;
        }
        return text != null ? text : number;
    }
}
