package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Battery (3411): the level drains slowly (a few percent a month) and never goes below zero; the voltage sags with
 * it. Battery Level Too Low (6) compares the level with the writable Low Battery Threshold (5).
 */
public final class BatteryObject extends SimulatedInstance {

    private final Clock clock;
    private final Instant start;
    private final double startLevel;
    private final double drainPerDay;
    private final AtomicReference<Object> lowThreshold;

    public BatteryObject(Clock clock, long seed) {
        super(0);
        this.clock = clock;
        this.start = clock.instant();
        this.startLevel = new Noise(seed).uniform(60, 100);
        this.drainPerDay = new Noise(seed ^ 8).uniform(0.05, 0.2);
        readable(1, () -> Math.round(level()));
        readable(3, () -> Math.round((2.7 + 0.6 * level() / 100) * 100) / 100.0);
        setting(4, "Li-SOCl2");
        this.lowThreshold = setting(5, 10L);
        readable(6, () -> level() < ((Number) lowThreshold.get()).doubleValue());
    }

    /** The charge left, in percent. */
    public double level() {
        double days = Duration.between(start, clock.instant()).toMillis() / 86_400_000.0;
        return Math.max(0, startLevel - drainPerDay * days);
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(1, 3, 6);
    }
}
