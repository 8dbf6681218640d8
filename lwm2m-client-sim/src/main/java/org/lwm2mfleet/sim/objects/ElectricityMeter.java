package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.util.List;

/**
 * The electricity meter's physics: instantaneous power follows a household's daily load curve with some noise, and
 * the energy register integrates it, so it only grows: like a billing meter's, it offers no remote reset (5822).
 * Exposed as Power Measurement (3305) and Energy (3331).
 */
public final class ElectricityMeter {

    private final Clock clock;
    private final double peakWatts;
    private final Noise noise;
    private final Integrator energyWh;

    public ElectricityMeter(Clock clock, long seed) {
        this.clock = clock;
        this.noise = new Noise(seed);
        this.peakWatts = 2500 + new Noise(seed ^ 4).uniform(-800, 800);
        double startKwh = new Noise(seed ^ 5).uniform(1_000, 20_000);
        this.energyWh = new Integrator(clock, startKwh * 1000, at -> peakWatts * DayCycle.householdLoad(at));
    }

    public double powerWatts() {
        return Math.max(0, peakWatts * DayCycle.householdLoad(clock.instant()) * (1 + noise.gaussian(0.03)));
    }

    public double energyKwh() {
        return energyWh.total() / 1000;
    }

    /** Power Measurement (3305). */
    public SimulatedInstance powerObject() {
        return new SimulatedInstance(0) {
            {
                readable(5800, () -> round(powerWatts()));
                readable(5805, () -> round(energyWh.total()));
                readable(5820, () -> 0.95);
                setting(5750, "household mains");
            }

            @Override
            protected List<Integer> changingResources() {
                return List.of(5800, 5805);
            }
        };
    }

    /** Energy (3331), in kWh. */
    public SimulatedInstance energyObject() {
        return new SimulatedInstance(0) {
            {
                readable(5700, () -> round(energyKwh()));
                readable(5701, () -> "kWh");
                setting(5750, "household energy");
            }

            @Override
            protected List<Integer> changingResources() {
                return List.of(5700);
            }
        };
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
