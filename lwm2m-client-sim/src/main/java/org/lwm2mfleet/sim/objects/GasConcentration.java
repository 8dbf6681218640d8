package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * The gas detector's reading in ppm: a low baseline with noise, and gas events on demand that raise it far above
 * {@link #ALARM_THRESHOLD_PPM} within seconds, hold it there for a while, then let it decay back as the room airs.
 */
public final class GasConcentration implements DoubleSupplier {

    public static final double BASELINE_PPM = 8;
    public static final double EVENT_PEAK_PPM = 400;
    /** A level an automation rule would alarm on: far above the baseline, far below an event's peak. */
    public static final double ALARM_THRESHOLD_PPM = 50;
    private static final double RISE_SECONDS = 10;
    private static final double DECAY_SECONDS = 60;

    private final Clock clock;
    private final Noise noise;
    private volatile GasEvent event;

    public GasConcentration(Clock clock, long seed) {
        this.clock = clock;
        this.noise = new Noise(seed);
    }

    /** Starts a gas event now: the concentration rises to about {@value #EVENT_PEAK_PPM} ppm for {@code length}. */
    public void triggerGasEvent(Duration length) {
        event = new GasEvent(clock.instant(), length);
    }

    @Override
    public double getAsDouble() {
        GasEvent current = event;
        double extra = current == null ? 0 : current.extraPpm(clock.instant());
        return Math.max(0, BASELINE_PPM + noise.gaussian(0.8) + extra);
    }

    private record GasEvent(Instant start, Duration length) {

        double extraPpm(Instant now) {
            double since = Duration.between(start, now).toMillis() / 1000.0;
            if (since < 0) {
                return 0;
            }
            double lengthSeconds = length.toMillis() / 1000.0;
            double rise = EVENT_PEAK_PPM * (1 - Math.exp(-Math.min(since, lengthSeconds) / RISE_SECONDS));
            return since <= lengthSeconds ? rise : rise * Math.exp(-(since - lengthSeconds) / DECAY_SECONDS);
        }
    }
}
