package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The ventilation fan: Actuation (3306) is what an operator or a rule writes (On/Off 5850, speed as Dimmer 5851 in
 * %), On/Off switch (3342) reports the resulting state and how long it has been on, and Fan (10366) names it.
 */
public final class FanObjects {

    private final Clock clock;
    private volatile boolean on;
    private volatile long speedPercent = 60;
    private volatile Instant onSince;
    private volatile long switchCount;

    public FanObjects(Clock clock) {
        this.clock = clock;
    }

    public boolean isOn() {
        return on;
    }

    public long speedPercent() {
        return speedPercent;
    }

    synchronized void switchTo(boolean on) {
        if (on != this.on) {
            this.on = on;
            this.onSince = on ? clock.instant() : null;
            switchCount++;
        }
    }

    long onTimeSeconds() {
        Instant since = onSince;
        return since == null ? 0 : Duration.between(since, clock.instant()).toSeconds();
    }

    /** Actuation (3306): the writable side. */
    public SimulatedInstance actuation() {
        return new SimulatedInstance(0) {
            {
                writable(5850, FanObjects.this::isOn, v -> switchTo((Boolean) v));
                writable(5851, FanObjects.this::speedPercent,
                        v -> speedPercent = Math.max(0, Math.min(100, ((Number) v).longValue())));
                readable(5852, FanObjects.this::onTimeSeconds);
                readable(5750, () -> "ventilation fan");
            }
        };
    }

    /** On/Off switch (3342): the reported state. */
    public SimulatedInstance onOffSwitch() {
        return new SimulatedInstance(0) {
            {
                readable(5500, FanObjects.this::isOn);
                readable(5501, () -> switchCount);
                readable(5852, FanObjects.this::onTimeSeconds);
                readable(5750, () -> "ventilation fan state");
            }

            @Override
            protected java.util.List<Integer> changingResources() {
                return java.util.List.of(5500, 5852);
            }
        };
    }

    /** Fan (10366): its name. */
    public SimulatedInstance fan(String name) {
        return new SimulatedInstance(0) {
            {
                readable(1, () -> name);
            }
        };
    }
}
