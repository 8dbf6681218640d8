package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Water meter (3424): the cumulated volume in m³ integrates a household's daily water use, so it only grows; a leak
 * is suspected rarely (about once a month per meter) and then lasts a few hours.
 */
public final class WaterMeter extends SimulatedInstance {

    /** Chance, per hour, that a leak starts: about one a month. */
    static final double LEAK_PROBABILITY_PER_HOUR = 1.0 / (30 * 24);
    private static final Duration LEAK_LENGTH = Duration.ofHours(3);

    private final Clock clock;
    private final Noise noise;
    private final Integrator volume;
    private Instant lastLeakCheck;
    private Instant leakUntil = Instant.MIN;

    public WaterMeter(Clock clock, long seed) {
        super(0);
        this.clock = clock;
        this.noise = new Noise(seed);
        this.lastLeakCheck = clock.instant();
        double litresPerHourAtPeak = 40 + new Noise(seed ^ 6).uniform(-15, 15);
        this.volume = new Integrator(clock, new Noise(seed ^ 7).uniform(50, 900),
                at -> litresPerHourAtPeak * DayCycle.waterUse(at) / 1000);
        readable(1, () -> Math.round(cumulatedVolume() * 1000) / 1000.0);
        setting(3, "residential cold water");
        readable(9, this::leakSuspected);
        readable(10, () -> false);
    }

    /** m³ since the meter was installed. */
    public double cumulatedVolume() {
        return volume.total();
    }

    /** Draws, for each whole hour since the last call, whether a leak started; one lasts {@link #LEAK_LENGTH}. */
    public synchronized boolean leakSuspected() {
        Instant now = clock.instant();
        long hours = Duration.between(lastLeakCheck, now).toHours();
        for (long i = 0; i < hours; i++) {
            if (noise.chance(LEAK_PROBABILITY_PER_HOUR)) {
                leakUntil = lastLeakCheck.plus(Duration.ofHours(i + 1)).plus(LEAK_LENGTH);
            }
        }
        if (hours > 0) {
            lastLeakCheck = lastLeakCheck.plus(Duration.ofHours(hours));
        }
        return now.isBefore(leakUntil);
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(1, 9);
    }
}
