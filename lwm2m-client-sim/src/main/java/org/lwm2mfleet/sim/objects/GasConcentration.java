package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * The gas detector's reading in ppm: a low baseline with noise, and gas events on demand that raise it far above
 * any alarm threshold for a while, then let it decay back.
 */
public final class GasConcentration implements DoubleSupplier {

    public static final double BASELINE_PPM = 8;
    public static final double EVENT_PEAK_PPM = 400;

    private final Clock clock;
    private final Noise noise;
    private volatile Instant eventStart;
    private volatile Duration eventLength = Duration.ZERO;

    public GasConcentration(Clock clock, long seed) {
        this.clock = clock;
        this.noise = new Noise(seed);
    }

    /** Starts a gas event: the concentration jumps to about {@value #EVENT_PEAK_PPM} ppm for {@code length}. */
    public void triggerGasEvent(Duration length) {
        eventStart = clock.instant();
        eventLength = length;
    }

    @Override
    public double getAsDouble() {
        double value = BASELINE_PPM + noise.gaussian(0.8);
        Instant start = eventStart;
        if (start != null) {
            Duration since = Duration.between(start, clock.instant());
            if (!since.isNegative() && since.compareTo(eventLength) < 0) {
                value += EVENT_PEAK_PPM;
            }
        }
        return Math.max(0, value);
    }
}
