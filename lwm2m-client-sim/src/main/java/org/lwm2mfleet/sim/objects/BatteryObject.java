package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Battery (3411): the level drains slowly (a few percent a month) and never goes below zero. */
public final class BatteryObject extends SimulatedInstance {

    private final Clock clock;
    private final Instant start;
    private final double startLevel;
    private final double drainPerDay;

    public BatteryObject(Clock clock, long seed) {
        super(0);
        this.clock = clock;
        this.start = clock.instant();
        this.startLevel = new Noise(seed).uniform(60, 100);
        this.drainPerDay = new Noise(seed ^ 8).uniform(0.05, 0.2);
        readable(1, () -> Math.round(level()));
        readable(3, () -> Math.round((2.7 + 0.6 * level() / 100) * 100) / 100.0);
        readable(4, () -> "Li-SOCl2");
        readable(6, () -> level() < 10);
    }

    public double level() {
        double days = Duration.between(start, clock.instant()).toMillis() / 86_400_000.0;
        return Math.max(0, startLevel - drainPerDay * days);
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(1);
    }
}
