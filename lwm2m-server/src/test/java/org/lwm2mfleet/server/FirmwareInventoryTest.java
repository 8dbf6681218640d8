package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The firmware inventory reads a device's /3/0 when it registers only if what it knows is missing or older than
 * {@code --inventory-max-age}: a fleet that reconnects is not read again; and during a registration storm the reads
 * wait for it to pass.
 */
class FirmwareInventoryTest {

    @TempDir
    static Path dir;
    static final ShiftableClock clock = new ShiftableClock();
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, clock, c -> c.inventoryMaxAge(Duration.ofHours(24)));
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void aRegistrationReadsTheInventoryOnlyWhenUnknownOrTooOld() {
        Api.Reply created = server.api().post("/api/v1/devices",
                "{\"endpoint\":\"inv-1\",\"credentials\":{\"kind\":\"none\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        SimulatedDevice device = devices.start("inv-1", Profile.ELECTRICITY_METER, server.server().coapUri(),
                DeviceSecurity.none());

        // First registration: nothing known, so /3/0 is read and the version is in the fleet's inventory.
        await().atMost(Duration.ofSeconds(20)).until(() -> inventoryReads().size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.api()
                .get("/api/v1/fleet/firmware/devices?model=SIM-EM-1").json().path("items").size() == 1);

        // Registers again an hour later: known and fresh, not read.
        clock.advance(Duration.ofHours(1));
        registerAgain(device, 2);
        // Then a day later: too old, read again.
        clock.advance(Duration.ofHours(25));
        java.time.Instant dayLater = clock.instant();
        registerAgain(device, 3);
        await().atMost(Duration.ofSeconds(20)).until(() -> inventoryReads().stream().anyMatch(
                read -> !java.time.Instant.parse(read.path("requestedAt").asText()).isBefore(dayLater)));

        // The reads follow the registrations in order on one thread: had the second registration read, its read
        // would be logged before the third one's.
        assertThat(inventoryReads()).hasSize(2);
    }

    @Test
    void duringARegistrationStormTheReadsWaitForItToPass(@TempDir Path stormDir) throws Exception {
        ShiftableClock stormClock = new ShiftableClock();
        // Rate 0: any registration in the last 10 s (by the server's clock) is a storm.
        try (TestServer storm = TestServer.start(stormDir, stormClock, c -> c.inventoryStormRate(0))) {
            Devices stormDevices = new Devices();
            try {
                assertThat(storm.api().post("/api/v1/devices",
                        "{\"endpoint\":\"storm-1\",\"credentials\":{\"kind\":\"none\"}}").status()).isEqualTo(201);
                stormDevices.start("storm-1", Profile.ELECTRICITY_METER, storm.server().coapUri(),
                        DeviceSecurity.none());
                RegistryLifecycleTest.awaitStatus(storm, "storm-1", "online");

                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                        .until(() -> inventoryReads(storm, "storm-1").isEmpty());
                // Ten seconds on, the storm is over: the waiting read goes out at the next look.
                stormClock.advance(Duration.ofSeconds(11));
                await().atMost(Duration.ofSeconds(20)).until(() -> inventoryReads(storm, "storm-1").size() == 1);
            } finally {
                stormDevices.close();
            }
        }
    }

    private static void registerAgain(SimulatedDevice device, int registrations) {
        device.stop(true);
        RegistryLifecycleTest.awaitStatus(server, "inv-1", "offline");
        device.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> device.registrationCount() == registrations);
        RegistryLifecycleTest.awaitStatus(server, "inv-1", "online");
    }

    /** The server's own reads of /3/0 in the device's operation log. */
    private static List<JsonNode> inventoryReads() {
        return inventoryReads(server, "inv-1");
    }

    private static List<JsonNode> inventoryReads(TestServer on, String endpoint) {
        JsonNode log = on.api().get("/api/v1/devices/" + endpoint + "/operations?limit=100").json().path("items");
        List<JsonNode> reads = new java.util.ArrayList<>();
        log.forEach(entry -> {
            if ("read".equals(entry.path("operation").asText()) && "/3/0".equals(entry.path("target").asText())) {
                reads.add(entry);
            }
        });
        return reads;
    }
}
