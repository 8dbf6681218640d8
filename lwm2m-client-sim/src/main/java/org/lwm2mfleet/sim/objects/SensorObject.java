package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * An IPSO sensor (Temperature 3303, Humidity 3304, Concentration 3325...): Sensor Value (5700) from a value model,
 * units (5701), min and max measured since the last reset (5601, 5602, reset by executing 5605), range (5603, 5604),
 * and a writable Application Type (5750).
 */
public final class SensorObject extends SimulatedInstance {

    private final DoubleSupplier model;
    private double min = Double.NaN;
    private double max = Double.NaN;

    public SensorObject(String applicationType, String units, double rangeMin, double rangeMax,
            DoubleSupplier model) {
        super(0);
        this.model = model;
        readable(5700, this::value);
        readable(5701, () -> units);
        readable(5601, () -> {
            value();
            return min;
        });
        readable(5602, () -> {
            value();
            return max;
        });
        readable(5603, () -> rangeMin);
        readable(5604, () -> rangeMax);
        executable(5605, this::resetMinMax);
        setting(5750, applicationType);
    }

    /** The current value, rounded to what such a sensor reports, and tracked for min and max. */
    public synchronized double value() {
        double value = Math.round(model.getAsDouble() * 100) / 100.0;
        min = Double.isNaN(min) ? value : Math.min(min, value);
        max = Double.isNaN(max) ? value : Math.max(max, value);
        return value;
    }

    public synchronized void resetMinMax() {
        min = Double.NaN;
        max = Double.NaN;
        value();
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(5700);
    }

    /** Temperature in °C: a day cycle (coolest at 05:00), a slow drift and a little noise. */
    public static SensorObject temperature(Clock clock, long seed) {
        Noise noise = new Noise(seed);
        double base = 19 + new Noise(seed ^ 1).uniform(-2, 2);
        double driftPerDay = new Noise(seed ^ 2).uniform(-0.3, 0.3);
        long start = clock.millis();
        return new SensorObject("indoor temperature", "Cel", -40, 85, () -> base + 3.5 * DayCycle.sine(clock.instant(), 5)
                + driftPerDay * (clock.millis() - start) / 86_400_000.0 + noise.gaussian(0.1));
    }

    /** Relative humidity in %: moves against the temperature's day cycle. */
    public static SensorObject humidity(Clock clock, long seed) {
        Noise noise = new Noise(seed);
        double base = 48 + new Noise(seed ^ 3).uniform(-5, 5);
        return new SensorObject("indoor humidity", "%RH", 0, 100, () -> Math.max(0, Math.min(100,
                base - 9 * DayCycle.sine(clock.instant(), 5) + noise.gaussian(0.5))));
    }
}
