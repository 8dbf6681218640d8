package org.lwm2mfleet.sim.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.observation.CompositeObservation;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.request.ExecuteRequest;
import org.eclipse.leshan.core.request.ObserveRequest;
import org.eclipse.leshan.core.request.ReadRequest;
import org.eclipse.leshan.core.request.WriteRequest;
import org.eclipse.leshan.core.response.ObserveCompositeResponse;
import org.eclipse.leshan.core.response.ObserveResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.server.observation.ObservationListener;
import org.eclipse.leshan.server.registration.Registration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lwm2mfleet.sim.objects.DeviceObject;
import org.lwm2mfleet.sim.objects.GasConcentration;
import org.lwm2mfleet.sim.objects.MutableClock;
import org.lwm2mfleet.sim.profiles.Profile;

/** Simulated devices register with a real (bare) Leshan server and answer its requests. */
class DevicesAgainstLeshanServerTest {

    private static final Duration REGISTRATION = Duration.ofSeconds(15);

    private static TestLeshanServer server;
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void startServer() {
        server = new TestLeshanServer();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @AfterEach
    void stopDevices() throws Exception {
        for (AutoCloseable closeable : started) {
            closeable.close();
        }
    }

    @Test
    void pskFleetOfMixedProfilesRegistersAndAnswersReads() throws Exception {
        FleetSpec spec = FleetSpec.builder(server.coapsUri()).endpointPattern("psk-%02d").count(5)
                .profiles(Profile.values()).security(SecurityMode.PSK, TestLeshanServer.FLEET_SECRET)
                .stagger(Duration.ofMillis(500)).build();
        for (int n = 1; n <= spec.count(); n++) {
            server.provision(SecurityMode.PSK, spec.endpoint(n));
        }
        SimulatedFleet fleet = SimulatedFleet.create(spec);
        started.add(fleet);

        fleet.start();

        await().atMost(REGISTRATION).until(() -> fleet.registeredCount() == 5);
        for (SimulatedDevice device : fleet.devices()) {
            assertThat(server.registration(device.endpoint())).as(device.endpoint()).isNotNull();
            ReadResponse manufacturer = server.send(device.endpoint(), new ReadRequest(3, 0, 0));
            assertThat(value(manufacturer)).isEqualTo(DeviceObject.MANUFACTURER);
            assertThat(value(server.send(device.endpoint(), new ReadRequest(3, 0, 1))))
                    .isEqualTo(device.profile().modelNumber());
        }
        assertThat(fleet.devices()).extracting(SimulatedDevice::profile).containsExactly(Profile.values());
        assertThat(server.registration("psk-01").getSortedObjectLinks())
                .extracting(link -> link.getUriReference()).contains("/3305/0", "/3331/0");
    }

    @Test
    void rebootMakesTheDeviceRegisterAgain() throws Exception {
        SimulatedDevice device = pskDevice("reboot-1", Profile.ELECTRICITY_METER);
        String firstRegistration = server.registration("reboot-1").getId();
        int registrations = device.registrationCount();

        assertThat(server.send("reboot-1", new ExecuteRequest(3, 0, 4)).isSuccess()).isTrue();

        await().atMost(REGISTRATION).until(() -> device.registrationCount() > registrations);
        await().atMost(REGISTRATION).until(() -> server.registration("reboot-1") != null
                && !server.registration("reboot-1").getId().equals(firstRegistration));
    }

    @Test
    void fanAndDeviceSettingsWrittenByTheServerReadBack() throws Exception {
        SimulatedDevice fan = SimulatedDevice.builder("fan-1", Profile.VENTILATION_FAN).serverUri(server.coapUri())
                .build();
        start(fan);

        assertThat(server.send("fan-1", new WriteRequest(3306, 0, 5850, true)).isSuccess()).isTrue();
        assertThat(server.send("fan-1", new WriteRequest(3306, 0, 5851, 80L)).isSuccess()).isTrue();
        assertThat(value(server.send("fan-1", new ReadRequest(3306, 0, 5850)))).isEqualTo(true);
        assertThat(value(server.send("fan-1", new ReadRequest(3306, 0, 5851)))).isEqualTo(80L);
        assertThat(value(server.send("fan-1", new ReadRequest(3342, 0, 5500)))).isEqualTo(true);
        assertThat(fan.objects().fan().isOn()).isTrue();

        Instant written = Instant.parse("2030-01-02T03:04:05Z");
        assertThat(server.send("fan-1", new WriteRequest(3, 0, 13, Date.from(written))).isSuccess()).isTrue();
        assertThat(server.send("fan-1", new WriteRequest(3, 0, 14, "+02:00")).isSuccess()).isTrue();
        assertThat(server.send("fan-1", new WriteRequest(3, 0, 15, "Europe/Paris")).isSuccess()).isTrue();
        Date time = (Date) value(server.send("fan-1", new ReadRequest(3, 0, 13)));
        assertThat(time.toInstant()).isBetween(written, written.plus(5, ChronoUnit.SECONDS));
        assertThat(value(server.send("fan-1", new ReadRequest(3, 0, 14)))).isEqualTo("+02:00");
        assertThat(value(server.send("fan-1", new ReadRequest(3, 0, 15)))).isEqualTo("Europe/Paris");
    }

    @Test
    void gasEventIsReadByTheServerAboveTheThreshold() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-06-01T12:00:00Z"));
        SimulatedDevice detector = SimulatedDevice.builder("gas-1", Profile.GAS_DETECTOR)
                .serverUri(server.coapUri()).clock(clock).build();
        start(detector);
        assertThat((Double) value(server.send("gas-1", new ReadRequest(3325, 0, 5700))))
                .isLessThan(GasConcentration.ALARM_THRESHOLD_PPM);

        detector.object(GasConcentration.class).triggerGasEvent(Duration.ofMinutes(5));
        clock.advance(Duration.ofMinutes(1));

        assertThat((Double) value(server.send("gas-1", new ReadRequest(3325, 0, 5700))))
                .isGreaterThan(GasConcentration.ALARM_THRESHOLD_PPM);
        assertThat((Double) value(server.send("gas-1", new ReadRequest(3325, 0, 5602))))
                .isGreaterThan(GasConcentration.ALARM_THRESHOLD_PPM);
    }

    @Test
    void fleetTicksNotifyObserversOfMovingValues() throws Exception {
        FleetSpec spec = FleetSpec.builder(server.coapUri()).endpointPattern("observed-%d").count(1)
                .profiles(Profile.ENVIRONMENT_SENSOR).stagger(Duration.ZERO).tickInterval(Duration.ofMillis(200))
                .build();
        SimulatedFleet fleet = SimulatedFleet.create(spec);
        started.add(fleet);
        AtomicInteger notifications = new AtomicInteger();
        ObservationListener listener = new NotificationCounter("observed-1", notifications);
        server.leshan().getObservationService().addListener(listener);
        started.add(() -> server.leshan().getObservationService().removeListener(listener));
        fleet.start();
        await().atMost(REGISTRATION).until(() -> fleet.registeredCount() == 1);

        assertThat(server.send("observed-1", new ObserveRequest(3303, 0, 5700)).isSuccess()).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> notifications.get() >= 3);
    }

    @Test
    void rpkAndX509DevicesRegisterOverDtls() {
        server.provision(SecurityMode.RPK, "rpk-1");
        server.provision(SecurityMode.X509, "x509-1");
        SimulatedDevice rpk = SimulatedDevice.builder("rpk-1", Profile.WATER_METER).serverUri(server.coapsUri())
                .security(DeviceSecurity.forFleet(SecurityMode.RPK, TestLeshanServer.FLEET_SECRET, "rpk-1",
                        server.certificate().getPublicKey(), null))
                .build();
        SimulatedDevice x509 = SimulatedDevice.builder("x509-1", Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.coapsUri())
                .security(DeviceSecurity.forFleet(SecurityMode.X509, TestLeshanServer.FLEET_SECRET, "x509-1", null,
                        server.certificate()))
                .build();

        start(rpk);
        start(x509);

        assertThat(server.registration("rpk-1")).isNotNull();
        assertThat(server.registration("x509-1")).isNotNull();
    }

    private SimulatedDevice pskDevice(String endpoint, Profile profile) {
        server.provision(SecurityMode.PSK, endpoint);
        SimulatedDevice device = SimulatedDevice.builder(endpoint, profile).serverUri(server.coapsUri())
                .security(DeviceSecurity.forFleet(SecurityMode.PSK, TestLeshanServer.FLEET_SECRET, endpoint, null,
                        null))
                .build();
        start(device);
        return device;
    }

    /** Starts the device, stops it after the test, and waits for the server to know it. */
    private void start(SimulatedDevice device) {
        started.add(device::destroy);
        device.start();
        await().atMost(REGISTRATION).until(() -> device.isRegistered()
                && server.registration(device.endpoint()) != null);
    }

    private static Object value(ReadResponse response) {
        assertThat(response.isSuccess()).as("read succeeded: %s", response).isTrue();
        return ((LwM2mSingleResource) response.getContent()).getValue();
    }

    /** Counts the notifications one device sends. */
    private record NotificationCounter(String endpoint, AtomicInteger count) implements ObservationListener {

        @Override
        public void onResponse(SingleObservation observation, Registration registration, ObserveResponse response) {
            if (registration.getEndpoint().equals(endpoint) && response.isSuccess()) {
                count.incrementAndGet();
            }
        }

        @Override
        public void newObservation(Observation observation, Registration registration) {
        }

        @Override
        public void cancelled(Observation observation) {
        }

        @Override
        public void onResponse(CompositeObservation observation, Registration registration,
                ObserveCompositeResponse response) {
        }

        @Override
        public void onError(Observation observation, Registration registration, Exception error) {
        }
    }
}
