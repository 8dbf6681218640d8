package org.lwm2mfleet.sim.objects;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.eclipse.leshan.core.node.LwM2mSingleResource;

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
        clock.advance(Duration.ofSeconds(80));
        assertThat(gas.getAsDouble()).isGreaterThan(GasConcentration.ALARM_THRESHOLD_PPM);
        // The room airs: a few minutes after the event the reading is back near the baseline.
        clock.advance(Duration.ofMinutes(2));
        double airing = gas.getAsDouble();
        assertThat(airing).isLessThan(300);
        clock.advance(Duration.ofMinutes(8));
        assertThat(gas.getAsDouble()).isLessThan(GasConcentration.ALARM_THRESHOLD_PPM).isLessThan(airing);
    }

    @Test
    void humidityMovesAgainstTemperature() {
        MutableClock clock = new MutableClock(MIDNIGHT.plus(Duration.ofHours(5)));
        SensorObject temperature = SensorObject.temperature(clock, 4);
        SensorObject humidity = SensorObject.humidity(clock, 4);
        double coldTemperature = temperature.value();
        double coldHumidity = humidity.value();
        clock.set(MIDNIGHT.plus(Duration.ofHours(17)));
        assertThat(temperature.value()).isGreaterThan(coldTemperature);
        assertThat(humidity.value()).isLessThan(coldHumidity).isBetween(0.0, 100.0);
    }

    @Test
    void signalStrengthWandersWithinARadioRange() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        ConnectivityObject connectivity = new ConnectivityObject(clock, 3);
        double lowest = 0;
        double highest = -200;
        for (int minutes = 0; minutes < 6 * 60; minutes += 5) {
            clock.set(MIDNIGHT.plus(Duration.ofMinutes(minutes)));
            double rssi = connectivity.signalStrength();
            lowest = Math.min(lowest, rssi);
            highest = Math.max(highest, rssi);
        }
        assertThat(lowest).isGreaterThanOrEqualTo(-125);
        assertThat(highest).isLessThanOrEqualTo(-50);
        assertThat(highest - lowest).as("it wanders").isGreaterThan(6);
    }

    @Test
    void deviceClockSettingsReadBackWhatWasWritten() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        DeviceObject device = new DeviceObject(clock, "SIM-1", "SN1", "1.0.0", 1);
        device.setModel(org.lwm2mfleet.sim.profiles.Models.MODEL.getObjectModel(3));
        Instant written = Instant.parse("2031-05-06T07:08:09Z");

        assertThat(device.write(null, false, 13, LwM2mSingleResource.newDateResource(13, Date.from(written)))
                .isSuccess()).isTrue();
        assertThat(device.write(null, false, 14, LwM2mSingleResource.newStringResource(14, "-05:00")).isSuccess())
                .isTrue();
        assertThat(device.write(null, false, 15, LwM2mSingleResource.newStringResource(15, "America/New_York"))
                .isSuccess()).isTrue();
        clock.advance(Duration.ofSeconds(30));

        assertThat(readValue(device, 13)).isEqualTo(Date.from(written.plusSeconds(30)));
        assertThat(readValue(device, 14)).isEqualTo("-05:00");
        assertThat(readValue(device, 15)).isEqualTo("America/New_York");
        assertThat(device.utcOffset()).isEqualTo("-05:00");
    }

    @Test
    void batteryPoweredDeviceReportsItsLevelAndLowBatteryAsErrorCode() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        DeviceObject device = new DeviceObject(clock, "SIM-1", "SN1", "1.0.0", 1);
        device.setModel(org.lwm2mfleet.sim.profiles.Models.MODEL.getObjectModel(3));
        BatteryObject battery = new BatteryObject(clock, 5);
        device.batteryLevel(battery::level);
        assertThat(readValue(device, 9)).isEqualTo(Math.round(battery.level()));
        assertThat(((org.eclipse.leshan.core.node.LwM2mMultipleResource) device.read(null, 11).getContent())
                .getValue(0)).isEqualTo(0L);
        clock.advance(Duration.ofDays(20 * 365));
        assertThat(readValue(device, 9)).isEqualTo(0L);
        assertThat(((org.eclipse.leshan.core.node.LwM2mMultipleResource) device.read(null, 11).getContent())
                .getValue(0)).isEqualTo(1L);
    }

    @Test
    void fanOnTimeCanBeWrittenAndCounts() {
        MutableClock clock = new MutableClock(MIDNIGHT);
        FanObjects fan = new FanObjects(clock);
        SimulatedInstance onOff = fan.onOffSwitch();
        onOff.setModel(org.lwm2mfleet.sim.profiles.Models.MODEL.getObjectModel(3342));
        fan.switchTo(true);
        clock.advance(Duration.ofMinutes(10));
        assertThat(readValue(onOff, 5852)).isEqualTo(600L);

        assertThat(onOff.write(null, false, 5852, LwM2mSingleResource.newIntegerResource(5852, 0)).isSuccess())
                .isTrue();
        clock.advance(Duration.ofSeconds(5));
        assertThat(readValue(onOff, 5852)).isEqualTo(5L);
        assertThat(readValue(onOff, 5501)).isEqualTo(1L);
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

    private static Object readValue(SimulatedInstance instance, int resourceId) {
        var response = instance.read(null, resourceId);
        assertThat(response.isSuccess()).as("read %d", resourceId).isTrue();
        return ((LwM2mSingleResource) response.getContent()).getValue();
    }
}
