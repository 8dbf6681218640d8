package org.lwm2mfleet.server.telemetry;

import java.time.Instant;
import java.util.List;

import org.lwm2mfleet.server.telemetry.TelemetryService.Bucket;
import org.lwm2mfleet.server.telemetry.TelemetryService.Latest;
import org.lwm2mfleet.server.telemetry.TelemetryService.Point;

/**
 * Where the time series live, one implementation per database ({@link TelemetryStores#forDatabase}): H2 keeps one
 * indexed table with batched row deletes; PostgreSQL a table partitioned by day, written with COPY, whose retention
 * drops whole days. The service validates arguments; a store only runs its SQL.
 */
public interface TelemetryStore {

    /** Stores one batch in one transaction: all of it or, when it throws, none of it. */
    void write(List<TelemetryPoint> batch);

    /** Raw points of one series in {@code [fromMillis, toMillis)}, oldest first, at most {@code limit}. */
    List<Point> points(String endpoint, String path, long fromMillis, long toMillis, int limit);

    /** min/max/avg/count of the numeric points of each {@code stepMillis} from {@code fromMillis}, empty steps left out. */
    List<Bucket> downsampled(String endpoint, String path, long fromMillis, long toMillis, long stepMillis);

    /** The newest point of every path the device reported, by path. */
    List<Latest> latest(String endpoint);

    long count(String endpoint);

    /** A device's series, when the device is deleted. */
    void deleteEndpoint(String endpoint);

    /**
     * Removes points older than {@code cutoff}; returns how many went. A store may remove at a coarser grain than
     * the cutoff (PostgreSQL: whole days, so a point stays up to one day past it) and may return an estimate.
     */
    long applyRetention(Instant cutoff);

    /** Periodic upkeep at {@code now} (PostgreSQL: the partitions of the next days); idempotent, cheap when done. */
    default void maintain(Instant now) {
    }
}
