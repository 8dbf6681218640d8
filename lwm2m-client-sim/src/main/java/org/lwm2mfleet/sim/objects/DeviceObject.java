package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Device (3): identity, firmware version, reboot, current time and the writable time zone settings.
 * Reboot answers first, then restarts the client so that it registers again.
 */
public final class DeviceObject extends SimulatedInstance {

    public static final String MANUFACTURER = "LwM2M Fleet Sim";

    private final Clock clock;
    private final Instant bootedAt;
    private final AtomicReference<String> utcOffset = new AtomicReference<>("+00:00");
    private final AtomicReference<String> timezone = new AtomicReference<>("UTC");
    private final String serialNumber;
    private volatile String firmwareVersion;
    private volatile Runnable reboot = () -> {
    };

    public DeviceObject(Clock clock, String modelNumber, String serialNumber, String firmwareVersion) {
        super(0);
        this.clock = clock;
        this.bootedAt = clock.instant();
        this.firmwareVersion = firmwareVersion;
        this.serialNumber = serialNumber;
        readable(0, () -> MANUFACTURER);
        readable(1, () -> modelNumber);
        readable(2, () -> serialNumber);
        readable(3, () -> this.firmwareVersion);
        executable(4, () -> reboot.run());
        readable(13, () -> Date.from(clock.instant()));
        writable(14, utcOffset::get, v -> utcOffset.set((String) v));
        writable(15, timezone::get, v -> timezone.set((String) v));
        readable(16, () -> "U");
        readable(17, () -> "simulated " + modelNumber);
        readable(18, () -> "1.0");
        readable(19, () -> this.firmwareVersion);
    }

    /** What executing Reboot (/3/0/4) does; set once the client exists. */
    public void onReboot(Runnable reboot) {
        this.reboot = reboot;
    }

    public void setFirmwareVersion(String version) {
        this.firmwareVersion = version;
        fireResourceChange(3);
    }

    public String serial() {
        return serialNumber;
    }

    public String firmwareVersion() {
        return firmwareVersion;
    }

    public String utcOffset() {
        return utcOffset.get();
    }

    public String timezone() {
        return timezone.get();
    }

    public Duration uptime() {
        return Duration.between(bootedAt, clock.instant());
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(13);
    }
}
