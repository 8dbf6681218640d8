package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.option.StandardOptionRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * Endpoint names from the network: with unknown devices allowed over plain CoAP, a registration is still held to the
 * name rule REST enforces, and an unknown device that stays offline is removed after {@code unknownDeviceExpiry}.
 */
class UnknownDevicesTest {

    @TempDir
    Path dir;

    @Test
    void registrationsWithNamesRestWouldRefuseAreRefusedAndNotStored() throws Exception {
        try (TestServer server = TestServer.start(dir, c -> c.allowUnknownCoap(true))) {
            String rd = "coap://127.0.0.1:" + server.server().coapPort() + "/rd";
            byte[][] names = { "../evil".getBytes(StandardCharsets.UTF_8), "a/b".getBytes(StandardCharsets.UTF_8),
                    "nul\0name".getBytes(StandardCharsets.UTF_8), "new\nline".getBytes(StandardCharsets.UTF_8),
                    "..".getBytes(StandardCharsets.UTF_8),
                    { 'b', 'a', 'd', (byte) 0xC3, (byte) 0x28 }, { (byte) 0xFF, (byte) 0xFE } };
            CoapClient client = new CoapClient();
            try {
                for (byte[] name : names) {
                    Request register = Request.newPost();
                    register.setURI(rd + "?lt=300&lwm2m=1.1");
                    byte[] ep = new byte[3 + name.length];
                    System.arraycopy("ep=".getBytes(StandardCharsets.US_ASCII), 0, ep, 0, 3);
                    System.arraycopy(name, 0, ep, 3, name.length);
                    register.getOptions().addOption(StandardOptionRegistry.URI_QUERY.create(ep));
                    register.setPayload("</3/0>");
                    register.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_LINK_FORMAT);
                    CoapResponse response = client.advanced(register);
                    assertThat(response).as("answer to %s", new String(name, StandardCharsets.UTF_8)).isNotNull();
                    assertThat(response.isSuccess()).as("registered %s: %s", new String(name,
                            StandardCharsets.UTF_8), response.getCode()).isFalse();
                    assertThat(response.getCode().codeClass).isEqualTo(4);
                }
                // A name REST takes registers as before.
                Request fine = Request.newPost();
                fine.setURI(rd + "?ep=fine:name@1&lt=300&lwm2m=1.1");
                fine.setPayload("</3/0>");
                fine.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_LINK_FORMAT);
                assertThat(client.advanced(fine).isSuccess()).isTrue();
            } finally {
                client.shutdown();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.api().get("/api/v1/devices/fine:name@1")
                    .status() == 200);
            // Only that one is in the registry: every refused name left nothing behind.
            assertThat(server.api().get("/api/v1/devices").json().get("items").findValuesAsText("endpoint"))
                    .containsExactly("fine:name@1");
            // REST refuses the same names.
            Api.Reply rest = server.api().post("/api/v1/devices", "{\"endpoint\":\"..\",\"credentials\":"
                    + "{\"kind\":\"none\"}}");
            assertThat(rest.status()).isEqualTo(400);
            assertThat(rest.json().get("field").asText()).isEqualTo("endpoint");
            assertThat(server.api().get("/metrics").text()).contains("lwm2m_registrations_refused_total");
        }
    }

    @Test
    void unknownDevicesThatStayOfflineAreRemovedAfterTheExpiry() throws Exception {
        ShiftableClock clock = new ShiftableClock();
        try (TestServer server = TestServer.start(dir, clock, c -> c.allowUnknownCoap(true)
                .unknownDeviceExpiry(Duration.ofDays(7)).registrationCleanupPeriod(Duration.ofSeconds(1)));
                Devices devices = new Devices()) {
            assertThat(server.api().post("/api/v1/devices", "{\"endpoint\":\"provisioned-none\",\"credentials\":"
                    + "{\"kind\":\"none\"}}").status()).isEqualTo(201);
            SimulatedDevice gone = start(server, devices, "unknown-gone");
            SimulatedDevice provisioned = start(server, devices, "provisioned-none");
            start(server, devices, "unknown-online");
            SimulatedDevice claimed = start(server, devices, "unknown-claimed");
            for (String endpoint : new String[] { "unknown-gone", "provisioned-none", "unknown-online",
                    "unknown-claimed" }) {
                RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
            }
            // Setting credentials over REST claims an unknown device: it is the operator's now.
            Api.Reply claim = server.api().put("/api/v1/devices/unknown-claimed/credentials",
                    "{\"kind\":\"none\"}");
            assertThat(claim.status()).as(claim.text()).isIn(200, 204);
            gone.stop(true);
            provisioned.stop(true);
            claimed.stop(true);
            for (String endpoint : new String[] { "unknown-gone", "provisioned-none", "unknown-claimed" }) {
                RegistryLifecycleTest.awaitStatus(server, endpoint, "offline");
            }

            // Past seven days: the unknown one that is offline goes; the provisioned, the claimed and the online stay.
            clock.advance(Duration.ofDays(8));
            await().atMost(Duration.ofSeconds(15)).until(() -> server.api().get("/api/v1/devices/unknown-gone")
                    .status() == 404);
            assertThat(server.api().get("/api/v1/devices/provisioned-none").status()).isEqualTo(200);
            assertThat(server.api().get("/api/v1/devices/unknown-claimed").status()).isEqualTo(200);
            assertThat(server.api().get("/api/v1/devices/unknown-online").status()).isEqualTo(200);
        }
    }

    @Test
    void aDeviceStoredEarlierWithANameRestCannotAddressGoesOnceOffline() throws Exception {
        Path data = dir.resolve("data");
        ShiftableClock clock = new ShiftableClock();
        try (TestServer server = TestServer.start(data, clock, c -> c.registrationCleanupPeriod(Duration.ofSeconds(1)))) {
            assertThat(server.api().get("/health").status()).isEqualTo(200); // the schema is there
            // As a registration stored it before names were checked, while the server is stopped.
            server.restart(() -> {
                try (java.sql.Connection db = server.connectToDatabase();
                        java.sql.PreparedStatement insert = db.prepareStatement("INSERT INTO devices (endpoint,"
                                + " credentials_kind, created_at, status) VALUES (?, 'none', CURRENT_TIMESTAMP,"
                                + " 'OFFLINE')")) {
                    insert.setString(1, "../legacy\n");
                    insert.executeUpdate();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // Fresh (created now): kept, and listed, though no URL can name it.
            assertThat(server.api().get("/api/v1/devices").json().get("items").findValuesAsText("endpoint"))
                    .containsExactly("../legacy\n");
            clock.advance(Duration.ofDays(8));
            await().atMost(Duration.ofSeconds(15)).until(() -> server.api().get("/api/v1/devices").json()
                    .get("items").isEmpty());
        }
    }

    private static SimulatedDevice start(TestServer server, Devices devices, String endpoint) {
        return devices.start(endpoint, Profile.ENVIRONMENT_SENSOR, server.server().coapUri(), DeviceSecurity.none());
    }
}
