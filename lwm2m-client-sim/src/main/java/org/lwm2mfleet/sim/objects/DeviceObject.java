package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

/**
 * Device (3): identity, firmware version, reboot, power source and battery, memory, error codes, and the writable
 * clock settings (current time, UTC offset, time zone). Reboot answers first, then restarts the client so that it
 * registers again (see {@link #onReboot}).
 */
public final class DeviceObject extends SimulatedInstance {

    public static final String MANUFACTURER = "LwM2M Fleet Sim";
    /** Memory Total (21), in KiB: a small microcontroller. */
    static final long MEMORY_TOTAL_KIB = 256;

    private static final long POWER_DC = 0, POWER_INTERNAL_BATTERY = 1;
    private static final long ERROR_NONE = 0, ERROR_LOW_BATTERY = 1;

    private final Clock clock;
    private final Noise noise;
    private final String serialNumber;
    private final long memoryBaseKib;
    private volatile Instant bootedAt;
    /** How far the device's own clock is from the real one: what writing Current Time (13) sets. */
    private volatile Duration clockOffset = Duration.ZERO;
    private volatile String firmwareVersion;
    private volatile DoubleSupplier batteryLevel;
    private final AtomicReference<Object> utcOffset;
    private final AtomicReference<Object> timezone;
    private volatile Runnable reboot = () -> {
    };

    public DeviceObject(Clock clock, String modelNumber, String serialNumber, String firmwareVersion, long seed) {
        super(0);
        this.clock = clock;
        this.noise = new Noise(seed);
        this.bootedAt = clock.instant();
        this.firmwareVersion = firmwareVersion;
        this.serialNumber = serialNumber;
        this.memoryBaseKib = Math.round(new Noise(seed ^ 0x3e3).uniform(120, 200));
        readable(0, () -> MANUFACTURER);
        readable(1, () -> modelNumber);
        readable(2, () -> serialNumber);
        readable(3, () -> this.firmwareVersion);
        executable(4, () -> reboot.run());
        readable(6, () -> Map.of(0, batteryLevel == null ? POWER_DC : POWER_INTERNAL_BATTERY));
        readable(10, () -> Math.max(0, memoryBaseKib + Math.round(noise.gaussian(4))));
        readable(11, () -> Map.of(0, lowBattery() ? ERROR_LOW_BATTERY : ERROR_NONE));
        writable(13, () -> Date.from(currentTime()),
                v -> clockOffset = Duration.between(clock.instant(), ((Date) v).toInstant()));
        this.utcOffset = setting(14, "+00:00");
        this.timezone = setting(15, "UTC");
        readable(16, () -> "U");
        readable(17, () -> "simulated " + modelNumber);
        readable(18, () -> "1.0");
        readable(19, () -> this.firmwareVersion);
        readable(21, () -> MEMORY_TOTAL_KIB);
    }

    /** Battery powered: Battery Level (9) reads this (0–100), and a low battery shows as error code 1. */
    public void batteryLevel(DoubleSupplier level) {
        this.batteryLevel = level;
        readable(9, () -> Math.round(level.getAsDouble()));
    }

    private boolean lowBattery() {
        DoubleSupplier level = batteryLevel;
        return level != null && level.getAsDouble() < 10;
    }

    /** What executing Reboot (/3/0/4) does; set once the client exists. */
    public void onReboot(Runnable reboot) {
        this.reboot = reboot;
    }

    /** The device came back up: uptime starts again. */
    public void rebooted() {
        bootedAt = clock.instant();
    }

    public void setFirmwareVersion(String version) {
        this.firmwareVersion = version;
        fireChanges(List.of(3, 19));
    }

    public String serial() {
        return serialNumber;
    }

    public String firmwareVersion() {
        return firmwareVersion;
    }

    /** The device's notion of now: the real clock plus whatever a server wrote to Current Time (13). */
    public Instant currentTime() {
        return clock.instant().plus(clockOffset);
    }

    public String utcOffset() {
        return (String) utcOffset.get();
    }

    public String timezone() {
        return (String) timezone.get();
    }

    public Duration uptime() {
        return Duration.between(bootedAt, clock.instant());
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(13);
    }
}
