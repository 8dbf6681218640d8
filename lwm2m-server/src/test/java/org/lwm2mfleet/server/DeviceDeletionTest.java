package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * Deleting a device deletes, in one transaction, its row and the rows other rooms hold for it (telemetry points,
 * operation log, pending operations, observations, firmware facts): all at once, or nothing when one room fails.
 */
class DeviceDeletionTest {

    private static final String TEMPERATURE = "/3303/0/5700";
    /** The tables, outside the device room, that hold rows per device; the first four the test fills. */
    private static final List<String> FILLED = List.of("telemetry_points", "operation_log", "pending_operations",
            "observations");

    @TempDir
    static Path dir;
    private static TestServer server;
    private static Devices devices;
    /** The endpoint for which the test's own data owner fails, while {@link #failing} is set. */
    private static final AtomicBoolean failing = new AtomicBoolean();
    private static final AtomicReference<Boolean> rowGoneInsideTransaction = new AtomicReference<>();
    private static final List<String> deletedEvents = new CopyOnWriteArrayList<>();
    private static final Map<String, Long> pointsWhenDeletedWasPublished = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, c -> c.queueAwakeTime(Duration.ofSeconds(1)));
        devices = new Devices();
        // Registered after the rooms' owners (at wiring time), so their deletes have run when it fails.
        server.server().devices().addDataOwner(endpoint -> {
            if (endpoint.equals("veto-1") && failing.get()) {
                rowGoneInsideTransaction.set(deviceRowGone(endpoint));
                throw new IllegalStateException("a room could not delete what it holds for " + endpoint);
            }
        });
        server.server().events().subscribe(e -> EventTypes.DELETED.equals(e.type()), e -> {
            deletedEvents.add(e.endpoint());
            // Another connection: what is committed when the event goes out.
            pointsWhenDeletedWasPublished.put(e.endpoint(), count("telemetry_points", e.endpoint()));
        });
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void aDeviceGoesWithItsPointsOperationsPendingOperationsAndObservationsInOneStep() throws Exception {
        fill("gone-1");

        Api.Reply deleted = server.api().delete("/api/v1/devices/gone-1");
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(204);

        // At once, without waiting for any room's background thread: they were in the deletion's transaction.
        assertThat(counts("gone-1")).allSatisfy((table, n) -> assertThat(n).as(table).isZero());
        assertThat(count("device_firmware", "gone-1")).isZero();
        assertThat(server.api().get("/api/v1/devices/gone-1").status()).isEqualTo(404);
        // The event follows the commit: subscribers already find the rows gone.
        assertThat(deletedEvents).contains("gone-1");
        assertThat(pointsWhenDeletedWasPublished.get("gone-1")).isZero();
    }

    @Test
    void whenOneRoomFailsNothingIsDeletedAndTheCallerIsTold() throws Exception {
        fill("veto-1");
        Map<String, Long> before = counts("veto-1");

        failing.set(true);
        Api.Reply refused;
        try {
            refused = server.api().delete("/api/v1/devices/veto-1");
        } finally {
            failing.set(false);
        }
        assertProblem(refused, 500, null);
        // The failing owner ran inside the transaction that had already deleted the device's row...
        assertThat(rowGoneInsideTransaction.get()).isTrue();
        // ...and the rollback brought back the row and what the rooms before it had deleted.
        assertThat(server.api().get("/api/v1/devices/veto-1").status()).isEqualTo(200);
        Map<String, Long> after = counts("veto-1");
        before.forEach((table, n) -> assertThat(after.get(table)).as(table).isGreaterThanOrEqualTo(n));
        assertThat(server.api().get("/api/v1/devices/veto-1/observations").json().get("items")).hasSize(1);
        assertThat(deletedEvents).doesNotContain("veto-1");
        // The registry still serves the device: credentials and registration were not let go.
        assertThat(server.server().leshan().getRegistrationService().getByEndpoint("veto-1")).isNotNull();

        // Once the room works again, the same request deletes it all.
        assertThat(server.api().delete("/api/v1/devices/veto-1").status()).isEqualTo(204);
        assertThat(counts("veto-1")).allSatisfy((table, n) -> assertThat(n).as(table).isZero());
        assertThat(deletedEvents).contains("veto-1");
    }

    /**
     * Gives the device a row in each of {@link #FILLED}: an observation (with its operation log entries) and a Send
     * report while it is always on, then, registered again in queue mode and asleep, a pending write.
     */
    private static void fill(String endpoint) throws Exception {
        assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"" + endpoint
                + "\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
        SimulatedDevice awake = devices.start(endpoint, Profile.ENVIRONMENT_SENSOR, server.server().coapUri(),
                DeviceSecurity.none(), Duration.ofSeconds(60));
        RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        // A long pmin: no notification wakes the sleeper later and runs the pending write at once.
        Api.Reply observe = server.api().post("/api/v1/devices/" + endpoint + "/observations",
                "{\"paths\":[\"" + TEMPERATURE + "\"],\"attributes\":{\"pmin\":60,\"pmax\":120}}");
        assertThat(observe.status()).as(observe.text()).isEqualTo(200);
        assertThat(awake.sendNow(List.of(TEMPERATURE), Duration.ofSeconds(5))).isTrue();
        awake.destroy();
        RegistryLifecycleTest.awaitStatus(server, endpoint, "offline");

        devices.started(SimulatedDevice.builder(endpoint, Profile.ENVIRONMENT_SENSOR)
                .serverUri(server.server().coapUri()).security(DeviceSecurity.none()).lifetime(Duration.ofSeconds(60))
                .queueMode(Duration.ofSeconds(60)).build());
        RegistryLifecycleTest.awaitStatus(server, endpoint, "sleeping");
        Api.Reply queued = server.api().put("/api/v1/devices/" + endpoint + "/objects/3/0/14", "{\"value\":\"+03:00\"}");
        assertThat(queued.status()).as(queued.text()).isEqualTo(202);

        // Points and log entries are written off the request threads: wait until they are there.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(counts(endpoint)).allSatisfy((table, n) -> assertThat(n).as(table)
                        .isPositive()));
    }

    private static Boolean deviceRowGone(String endpoint) {
        try {
            server.server().devices().get(endpoint);
            return false;
        } catch (FleetException e) {
            return true;
        }
    }

    private static Map<String, Long> counts(String endpoint) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : FILLED) {
            counts.put(table, count(table, endpoint));
        }
        return counts;
    }

    /** Read on a connection of its own: what is committed. */
    private static long count(String table, String endpoint) {
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().resolve("fleet") + ";DB_CLOSE_ON_EXIT=FALSE";
        try (Connection connection = DriverManager.getConnection(url);
                var statement = connection.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE endpoint = ?")) {
            statement.setString(1, endpoint);
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
