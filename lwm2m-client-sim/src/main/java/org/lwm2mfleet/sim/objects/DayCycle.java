package org.lwm2mfleet.sim.objects;

import java.time.Instant;
import java.time.ZoneOffset;

/** Shapes of a day, as functions of time: what makes the simulated values believable. */
public final class DayCycle {

    private DayCycle() {
    }

    /** Hour of the day in UTC with fractions, 0 ≤ h < 24. */
    public static double hourOfDay(Instant at) {
        return (at.atZone(ZoneOffset.UTC).toLocalTime().toSecondOfDay()) / 3600.0;
    }

    /** A sine with its minimum at {@code lowHour} and its maximum twelve hours later, between -1 and 1. */
    public static double sine(Instant at, double lowHour) {
        return -Math.cos(2 * Math.PI * (hourOfDay(at) - lowHour) / 24.0);
    }

    /**
     * A household's electric load, between 0.15 and about 1.0 of the peak: low at night, a morning peak near 07:30 and
     * a larger evening peak near 19:30.
     */
    public static double householdLoad(Instant at) {
        double h = hourOfDay(at);
        double morning = 0.55 * Math.exp(-Math.pow((h - 7.5) / 1.3, 2));
        double evening = 0.85 * Math.exp(-Math.pow((h - 19.5) / 2.0, 2));
        return 0.15 + morning + evening;
    }

    /** Water use: nothing at night, some in the morning and evening. */
    public static double waterUse(Instant at) {
        double h = hourOfDay(at);
        return 0.02 + Math.exp(-Math.pow((h - 7.0) / 1.0, 2)) + 0.7 * Math.exp(-Math.pow((h - 20.0) / 1.5, 2));
    }
}
