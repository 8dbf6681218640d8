package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.ToDoubleFunction;

/**
 * Accumulates a rate over time (power into energy, flow into volume), in steps of at most a minute, so the total
 * only ever grows and does not depend on how often it is read.
 */
final class Integrator {

    private static final Duration STEP = Duration.ofMinutes(1);

    private final Clock clock;
    private final ToDoubleFunction<Instant> ratePerHour;
    private Instant last;
    private double total;

    Integrator(Clock clock, double start, ToDoubleFunction<Instant> ratePerHour) {
        this.clock = clock;
        this.ratePerHour = ratePerHour;
        this.last = clock.instant();
        this.total = start;
    }

    synchronized double total() {
        Instant now = clock.instant();
        while (last.isBefore(now)) {
            Instant next = last.plus(STEP).isAfter(now) ? now : last.plus(STEP);
            double hours = Duration.between(last, next).toMillis() / 3_600_000.0;
            double rate = (ratePerHour.applyAsDouble(last) + ratePerHour.applyAsDouble(next)) / 2;
            total += Math.max(0, rate) * hours;
            last = next;
        }
        return total;
    }
}
