package org.lwm2mfleet.server.telemetry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.store.Jdbc;
import org.lwm2mfleet.server.runtime.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time series of reported values: queries, raw or downsampled per step, the latest value of every path, and
 * retention, run by a {@link TelemetryStore} for the database in use. Its periodic job applies retention and the
 * store's upkeep (PostgreSQL: partitions of the coming days).
 */
public final class TelemetryService implements org.lwm2mfleet.server.runtime.Lifecycle,
        org.lwm2mfleet.server.device.DeviceDataOwner {

    private static final Logger LOG = LoggerFactory.getLogger(TelemetryService.class);
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

    private final TelemetryStore store;
    private final Clock clock;
    private final Duration retention;
    private final Duration retentionPeriod;
    private final Scheduler scheduler;
    private final List<AutoCloseable> started = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** On the H2 store (tests that build the telemetry room alone). */
    public TelemetryService(Jdbc jdbc, Clock clock, Duration retention, Duration retentionPeriod,
            Scheduler scheduler) {
        this(new H2TelemetryStore(jdbc), clock, retention, retentionPeriod, scheduler);
    }

    public TelemetryService(TelemetryStore store, Clock clock, Duration retention, Duration retentionPeriod,
            Scheduler scheduler) {
        this.store = store;
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
        return store.points(endpoint, path, from.toEpochMilli(), to.toEpochMilli(), limit);
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
        return store.downsampled(endpoint, path, from.toEpochMilli(), to.toEpochMilli(), stepMillis);
    }

    /** The newest point of every path the device reported. */
    public List<Latest> latest(String endpoint) {
        return store.latest(endpoint);
    }

    public long count(String endpoint) {
        return store.count(endpoint);
    }

    /** Removes points older than the retention (see {@link TelemetryStore#applyRetention}); returns how many went. */
    public long applyRetention() {
        Instant cutoff = clock.instant().minus(retention);
        long total = store.applyRetention(cutoff);
        if (total > 0) {
            LOG.info("telemetry retention removed {} points older than {}", total, cutoff);
        }
        return total;
    }

    private void applyRetentionQuietly() {
        try {
            store.maintain(clock.instant());
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

    /** In the device's deletion transaction: its series go with it. */
    @Override
    public void deleteAllOf(String endpoint) {
        store.deleteEndpoint(endpoint);
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
