package org.lwm2mfleet.sim.objects;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** The simulated values behave like the real things over a simulated day. */
class ValueModelsTest {

    private static final Instant MIDNIGHT = Instant.parse("2026-06-01T00:00:00Z");

    @Test
    void energyNeverDecreasesOverADayAndPowerFollowsTheLoadCurve() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        ElectricityMeter meter = new ElectricityMeter(clock, 42);
        double previous = meter.energyKwh();
        double nightPower = 0;
        double eveningPower = 0;
        for (int minutes = 0; minutes < 24 * 60; minutes += 10) {
            clock.set(MIDNIGHT.plus(Duration.ofMinutes(minutes)));
            double energy = meter.energyKwh();
            assertThat(energy).isGreaterThanOrEqualTo(previous);
            previous = energy;
            if (minutes == 3 * 60) {
                nightPower = meter.powerWatts();
            }
            if (minutes == 19 * 60 + 30) {
                eveningPower = meter.powerWatts();
            }
        }
        assertThat(nightPower).isLessThan(eveningPower / 2);
        // A household uses some kWh a day, not Wh and not MWh.
        clock.set(MIDNIGHT);
        ElectricityMeter fresh = new ElectricityMeter(clock, 7);
        double start = fresh.energyKwh();
        clock.set(MIDNIGHT.plus(Duration.ofDays(1)));
        assertThat(fresh.energyKwh() - start).isBetween(5.0, 60.0);
    }

    @Test
    void energyDoesNotDependOnHowOftenItIsRead() {
        MutableClock often = new MutableClock(MIDNIGHT);
        MutableClock once = new MutableClock(MIDNIGHT);
        ElectricityMeter readOften = new ElectricityMeter(often, 3);
        ElectricityMeter readOnce = new ElectricityMeter(once, 3);
        for (int hours = 1; hours <= 12; hours++) {
            often.set(MIDNIGHT.plus(Duration.ofHours(hours)));
            readOften.energyKwh();
        }
        once.set(MIDNIGHT.plus(Duration.ofHours(12)));
        assertThat(readOnce.energyKwh()).isCloseTo(readOften.energyKwh(), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void temperatureHasADayCycle() {
        MutableClock clock = new MutableClock(MIDNIGHT.plus(Duration.ofHours(5)));
        SensorObject temperature = SensorObject.temperature(clock, 1);
        double dawn = temperature.value();
        clock.set(MIDNIGHT.plus(Duration.ofHours(17)));
        double afternoon = temperature.value();
        assertThat(afternoon - dawn).isGreaterThan(4);
        assertThat(dawn).isBetween(5.0, 25.0);
    }

    @Test
    void sensorTracksMinAndMaxUntilReset() {
        MutableClock clock = new MutableClock(MIDNIGHT.plus(Duration.ofHours(5)));
        SensorObject temperature = SensorObject.temperature(clock, 1);
        double cold = temperature.value();
        clock.set(MIDNIGHT.plus(Duration.ofHours(17)));
        double warm = temperature.value();
        temperature.resetMinMax();
        clock.set(MIDNIGHT.plus(Duration.ofHours(18)));
        double later = temperature.value();
        assertThat(Math.min(warm, later)).isGreaterThan(cold);
    }

    @Test
    void batteryDrainsAndNeverGoesBelowZero() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        BatteryObject battery = new BatteryObject(clock, 5);
        double start = battery.level();
        clock.advance(Duration.ofDays(30));
        assertThat(battery.level()).isLessThan(start);
        clock.advance(Duration.ofDays(20 * 365));
        assertThat(battery.level()).isZero();
    }

    @Test
    void waterVolumeOnlyGrows() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        WaterMeter meter = new WaterMeter(clock, 9);
        double previous = meter.cumulatedVolume();
        for (int hour = 1; hour <= 48; hour++) {
            clock.set(MIDNIGHT.plus(Duration.ofHours(hour)));
            assertThat(meter.cumulatedVolume()).isGreaterThanOrEqualTo(previous);
            previous = meter.cumulatedVolume();
        }
        assertThat(previous).isGreaterThan(0);
    }

    @Test
    void leaksAreRare() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        WaterMeter meter = new WaterMeter(clock, 11);
        int leakyHours = 0;
        for (int hour = 1; hour <= 24 * 365; hour++) {
            clock.set(MIDNIGHT.plus(Duration.ofHours(hour)));
            if (meter.leakSuspected()) {
                leakyHours++;
            }
        }
        assertThat(leakyHours).isBetween(1, 24 * 365 / 10);
    }

    @Test
    void gasEventRaisesConcentrationThenItReturns() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        GasConcentration gas = new GasConcentration(clock, 1);
        assertThat(gas.getAsDouble()).isLessThan(50);
        gas.triggerGasEvent(Duration.ofMinutes(2));
        clock.advance(Duration.ofSeconds(30));
        assertThat(gas.getAsDouble()).isGreaterThan(300);
        clock.advance(Duration.ofMinutes(2));
        assertThat(gas.getAsDouble()).isLessThan(50);
    }

    @Test
    void fanWritesReadBack() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        FanObjects fan = new FanObjects(clock);
        fan.switchTo(true);
        clock.advance(Duration.ofSeconds(90));
        assertThat(fan.isOn()).isTrue();
        assertThat(fan.onTimeSeconds()).isEqualTo(90);
        fan.switchTo(false);
        assertThat(fan.onTimeSeconds()).isZero();
    }
}
