package org.lwm2mfleet.sim.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.junit.jupiter.api.Test;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.objects.GasConcentration;
import org.lwm2mfleet.sim.profiles.Profile;

/** {@code --gas-events}: gas detectors, and only they, get gas events at the period. */
class GasEventsTest {

    @Test
    void gasDetectorsSmellGasAtThePeriod() {
        SimulatedDevice detector = device("gas-1", Profile.GAS_DETECTOR);
        SimulatedDevice fan = device("fan-1", Profile.VENTILATION_FAN);
        GasConcentration gas = detector.object(GasConcentration.class);
        assertThat(gas.getAsDouble()).isLessThan(GasConcentration.ALARM_THRESHOLD_PPM);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            GasEvents.schedule(scheduler, Duration.ofSeconds(2), () -> List.of(fan, detector));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gas.getAsDouble() > GasConcentration.ALARM_THRESHOLD_PPM);
        } finally {
            scheduler.shutdownNow();
        }
        assertThatThrownBy(() -> GasEvents.schedule(scheduler, Duration.ZERO, List::of))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static SimulatedDevice device(String endpoint, Profile profile) {
        return SimulatedDevice.builder(endpoint, profile).serverUri(URI.create("coap://127.0.0.1:5683"))
                .security(DeviceSecurity.none()).build();
    }
}
