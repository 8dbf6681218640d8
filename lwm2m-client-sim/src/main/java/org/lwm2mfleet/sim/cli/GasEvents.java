package org.lwm2mfleet.sim.cli;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.objects.GasConcentration;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * {@code --gas-events}: every gas detector smells gas at a fixed period, so a rule on the concentration (such as the
 * server demo's ventilation rule) has something to act on. The first event comes one period after the start.
 */
final class GasEvents {

    /** How long the concentration stays up before it decays. */
    static final Duration EVENT_LENGTH = Duration.ofSeconds(30);

    private GasEvents() {
    }

    static void schedule(ScheduledExecutorService scheduler, Duration every, Supplier<List<SimulatedDevice>> devices) {
        if (every == null) {
            return;
        }
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("--gas-events must be a positive duration such as PT3M");
        }
        scheduler.scheduleAtFixedRate(() -> {
            for (SimulatedDevice device : devices.get()) {
                if (device.profile() == Profile.GAS_DETECTOR) {
                    device.object(GasConcentration.class).triggerGasEvent(EVENT_LENGTH);
                }
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }
}
