package org.lwm2mfleet.server.telemetry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.telemetry.TelemetryService.Bucket;
import org.lwm2mfleet.server.telemetry.TelemetryService.Latest;
import org.lwm2mfleet.server.telemetry.TelemetryService.Point;

/**
 * The embedded store: table {@code telemetry_points} with a series index and an age index, statement batches, and
 * retention deleting rows in small batches so that it never holds long locks.
 */
public final class H2TelemetryStore implements TelemetryStore {

    static final int RETENTION_BATCH = 5_000;

    private final Jdbc jdbc;

    public H2TelemetryStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** One statement batch and one commit per batch ({@link Jdbc#batch}). */
    @Override
    public void write(List<TelemetryPoint> batch) {
        List<Object[]> rows = new ArrayList<>(batch.size());
        for (TelemetryPoint point : batch) {
            rows.add(new Object[] { point.endpoint(), point.path(), point.timeMillis(), point.number(), point.text(),
                    point.type(), point.source() });
        }
        jdbc.batch("INSERT INTO telemetry_points (endpoint, path, ts_ms, num_value, str_value, value_type, source)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)", rows);
    }

    @Override
    public List<Point> points(String endpoint, String path, long fromMillis, long toMillis, int limit) {
        return jdbc.query("SELECT ts_ms, num_value, str_value FROM telemetry_points WHERE endpoint = ? AND path = ?"
                + " AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms LIMIT ?", row -> new Point(
                        Instant.ofEpochMilli(row.getLong("ts_ms")), nullableDouble(row, "num_value"),
                        row.getString("str_value")),
                endpoint, path, fromMillis, toMillis, limit);
    }

    @Override
    public List<Bucket> downsampled(String endpoint, String path, long fromMillis, long toMillis, long stepMillis) {
        return jdbc.query("SELECT (ts_ms - ?) / ? AS bucket, MIN(num_value) AS lo, MAX(num_value) AS hi,"
                + " AVG(num_value) AS mean, COUNT(num_value) AS n FROM telemetry_points"
                + " WHERE endpoint = ? AND path = ? AND ts_ms >= ? AND ts_ms < ? AND num_value IS NOT NULL"
                + " GROUP BY bucket ORDER BY bucket", row -> new Bucket(
                        Instant.ofEpochMilli(fromMillis + row.getLong("bucket") * stepMillis),
                        row.getDouble("lo"), row.getDouble("hi"), row.getDouble("mean"), row.getLong("n")),
                fromMillis, stepMillis, endpoint, path, fromMillis, toMillis);
    }

    @Override
    public List<Latest> latest(String endpoint) {
        return jdbc.query("SELECT p.path, p.ts_ms, p.num_value, p.str_value, p.value_type FROM telemetry_points p"
                + " JOIN (SELECT path, MAX(id) AS id FROM telemetry_points WHERE endpoint = ? GROUP BY path) newest"
                + " ON p.id = newest.id ORDER BY p.path", row -> new Latest(row.getString("path"),
                        Instant.ofEpochMilli(row.getLong("ts_ms")), nullableDouble(row, "num_value"),
                        row.getString("str_value"), row.getString("value_type")), endpoint);
    }

    @Override
    public long count(String endpoint) {
        return jdbc.queryOne("SELECT COUNT(*) AS n FROM telemetry_points WHERE endpoint = ?",
                row -> row.getLong("n"), endpoint).orElse(0L);
    }

    @Override
    public void deleteEndpoint(String endpoint) {
        jdbc.update("DELETE FROM telemetry_points WHERE endpoint = ?", endpoint);
    }

    /** Deletes a batch at a time. */
    @Override
    public long applyRetention(Instant cutoff) {
        long cutoffMillis = cutoff.toEpochMilli();
        long total = 0;
        int deleted;
        do {
            // The id of the batch's last row first, then a plain range delete: an IN (subquery) is far slower.
            long upTo = jdbc.queryOne("SELECT MAX(id) AS id FROM (SELECT id FROM telemetry_points WHERE ts_ms < ?"
                    + " ORDER BY id FETCH FIRST " + RETENTION_BATCH + " ROWS ONLY) batch", row -> row.getLong("id"),
                    cutoffMillis).orElse(0L);
            deleted = upTo == 0 ? 0
                    : jdbc.update("DELETE FROM telemetry_points WHERE id <= ? AND ts_ms < ?", upTo, cutoffMillis);
            total += deleted;
        } while (deleted >= RETENTION_BATCH);
        return total;
    }

    static Double nullableDouble(java.sql.ResultSet row, String column) throws java.sql.SQLException {
        double value = row.getDouble(column);
        return row.wasNull() ? null : value;
    }
}
