package org.lwm2mfleet.server.telemetry;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a device's own timestamp (SenML in a Send or a notification) may say. A point older than the retention
 * would be deleted by the next retention run, so it is dropped at once; a point further in the future than a
 * clock's plausible drift is stored at its arrival time instead, so that it expires like the others (retention
 * deletes by timestamp: a point dated 2999 would stay for ever) and does not hide the newer points of a range
 * query. Both are counted ({@code telemetry_device_timestamps_out_of_range_total{outcome}}) and logged at debug
 * (a device with a broken clock sends them at every report).
 */
public final class DeviceTimestamps {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceTimestamps.class);
    /** More than a device clock's drift between two synchronisations, far less than any retention. */
    public static final Duration MAX_AHEAD = Duration.ofMinutes(5);

    private final Clock clock;
    private final Duration retention;
    private final Counter dropped;
    private final Counter clamped;

    public DeviceTimestamps(Clock clock, Duration retention, MeterRegistry meters) {
        this.clock = clock;
        this.retention = retention;
        this.dropped = counter(meters, "dropped");
        this.clamped = counter(meters, "clamped");
    }

    private static Counter counter(MeterRegistry meters, String outcome) {
        return Counter.builder("telemetry.device.timestamps.out.of.range").tag("outcome", outcome)
                .description("Reported points whose device timestamp was before the retention (dropped) or ahead"
                        + " of the server's clock (stored at arrival)")
                .register(meters);
    }

    /** The points to store: those too old left out, those too far ahead moved to now. */
    public List<TelemetryPoint> admit(List<TelemetryPoint> points) {
        long now = clock.millis();
        long oldest = now - retention.toMillis();
        long latest = now + MAX_AHEAD.toMillis();
        List<TelemetryPoint> admitted = null;
        for (int i = 0; i < points.size(); i++) {
            TelemetryPoint p = points.get(i);
            boolean tooOld = p.timeMillis() < oldest;
            boolean ahead = p.timeMillis() > latest;
            if (admitted == null && (tooOld || ahead)) {
                admitted = new ArrayList<>(points.subList(0, i));
            }
            if (tooOld) {
                dropped.increment();
                LOG.debug("point dropped, device timestamp before the retention endpoint={} path={} time={}",
                        p.endpoint(), p.path(), p.timeMillis());
            } else if (ahead) {
                clamped.increment();
                LOG.debug("point stored at arrival, device timestamp ahead endpoint={} path={} time={}",
                        p.endpoint(), p.path(), p.timeMillis());
                admitted.add(new TelemetryPoint(p.endpoint(), p.path(), now, p.number(), p.text(), p.type(),
                        p.source()));
            } else if (admitted != null) {
                admitted.add(p);
            }
        }
        return admitted == null ? points : admitted;
    }
}
