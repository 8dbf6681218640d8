package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The ventilation fan. Fan (10366) in the registry only names the fan and On/Off switch (3342) is an input, so the
 * writable side is Actuation (3306: On/Off 5850, speed as Dimmer 5851 in %), which an operator or a rule writes;
 * 3342 reports the resulting state, how often it switched, and how long it has been on or off. Writing On Time or
 * Off Time sets the counter (0 restarts it), as IPSO says.
 */
public final class FanObjects {

    private final Clock clock;
    private final SimulatedInstance actuation;
    private final SimulatedInstance onOffSwitch;
    private boolean on;
    private long speedPercent = 60;
    private Instant since;
    private long switchCount;

    public FanObjects(Clock clock) {
        this.clock = clock;
        this.since = clock.instant();
        this.actuation = newActuation();
        this.onOffSwitch = newOnOffSwitch();
    }

    public synchronized boolean isOn() {
        return on;
    }

    public synchronized long speedPercent() {
        return speedPercent;
    }

    /** Switches the fan as a local button would; observers of the reported state hear of it. */
    public void switchTo(boolean on) {
        synchronized (this) {
            if (on == this.on) {
                return;
            }
            this.on = on;
            this.since = clock.instant();
            switchCount++;
        }
        // Observers of the reported state hear of the switch now, not at the next tick.
        onOffSwitch.fireChanges(List.of(5500, 5501, 5852, 5854));
    }

    synchronized void speed(long percent) {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("speed must be 0..100 %");
        }
        speedPercent = percent;
    }

    /** Seconds on since the fan was switched on; 0 while off. */
    synchronized long onTimeSeconds() {
        return on ? elapsedSeconds() : 0;
    }

    /** Seconds off since the fan was switched off; 0 while on. */
    synchronized long offTimeSeconds() {
        return on ? 0 : elapsedSeconds();
    }

    /** Writing On Time (or Off Time) sets the running counter of the current state to that many seconds. */
    synchronized void setCounter(boolean ofOnTime, long seconds) {
        if (ofOnTime == on) {
            since = clock.instant().minusSeconds(Math.max(0, seconds));
        }
    }

    private long elapsedSeconds() {
        return Duration.between(since, clock.instant()).toSeconds();
    }

    /** Actuation (3306): the writable side. */
    public SimulatedInstance actuation() {
        return actuation;
    }

    /** On/Off switch (3342): the reported state. */
    public SimulatedInstance onOffSwitch() {
        return onOffSwitch;
    }

    private SimulatedInstance newActuation() {
        return new SimulatedInstance(0) {
            {
                writable(5850, FanObjects.this::isOn, v -> switchTo((Boolean) v));
                writable(5851, FanObjects.this::speedPercent, v -> speed(((Number) v).longValue()));
                writable(5852, FanObjects.this::onTimeSeconds, v -> setCounter(true, ((Number) v).longValue()));
                setting(5750, "ventilation fan");
            }

            @Override
            protected List<Integer> changingResources() {
                return List.of(5852);
            }
        };
    }

    private SimulatedInstance newOnOffSwitch() {
        return new SimulatedInstance(0) {
            {
                readable(5500, FanObjects.this::isOn);
                readable(5501, () -> {
                    synchronized (FanObjects.this) {
                        return switchCount;
                    }
                });
                writable(5852, FanObjects.this::onTimeSeconds, v -> setCounter(true, ((Number) v).longValue()));
                writable(5854, FanObjects.this::offTimeSeconds, v -> setCounter(false, ((Number) v).longValue()));
                setting(5750, "ventilation fan state");
            }

            @Override
            protected List<Integer> changingResources() {
                return List.of(5500, 5852, 5854);
            }
        };
    }

    /** Fan (10366): its name, the only resource the registry gives it. */
    public SimulatedInstance fan(String name) {
        return new SimulatedInstance(0) {
            {
                readable(1, () -> name);
            }
        };
    }
}
