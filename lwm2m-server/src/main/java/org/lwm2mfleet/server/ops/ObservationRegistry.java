package org.lwm2mfleet.server.ops;

import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.lwm2mfleet.server.store.Jdbc;

/**
 * The observations operators asked for (table observations), so that they outlive registrations and restarts: a
 * device that registers again gets them back without anyone asking.
 */
public final class ObservationRegistry implements org.lwm2mfleet.server.device.DeviceDataOwner {

    /** An observation to keep: one path, or several for a composite one. */
    public record Remembered(String endpoint, List<String> paths, String attributes, String format,
            Instant createdAt) {
    }

    private final Jdbc jdbc;
    private final Clock clock;

    public ObservationRegistry(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    void remember(String endpoint, List<String> paths, String attributes, String format) {
        jdbc.update(jdbc.dialect().upsert("observations", List.of("endpoint", "paths", "composite", "attributes",
                "format", "created_at"), List.of("endpoint", "paths")), endpoint, key(paths), paths.size() > 1,
                attributes, format, clock.instant());
    }

    boolean forget(String endpoint, List<String> paths) {
        return jdbc.update("DELETE FROM observations WHERE endpoint = ? AND paths = ?", endpoint, key(paths)) > 0;
    }

    public List<Remembered> of(String endpoint) {
        return jdbc.query("SELECT endpoint, paths, attributes, format, created_at FROM observations"
                + " WHERE endpoint = ? ORDER BY created_at", row -> new Remembered(row.getString("endpoint"),
                        Arrays.asList(row.getString("paths").split(",")), row.getString("attributes"),
                        row.getString("format"), Jdbc.instant(row, "created_at")), endpoint);
    }

    /** In the device's deletion transaction. */
    @Override
    public void deleteAllOf(String endpoint) {
        jdbc.update("DELETE FROM observations WHERE endpoint = ?", endpoint);
    }

    private static String key(List<String> paths) {
        return String.join(",", paths.stream().map(DeviceOperations::normalize).toList());
    }
}
