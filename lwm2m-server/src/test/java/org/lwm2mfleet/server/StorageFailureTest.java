package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * When the database cannot store, the server says so: writes answer 503 problem+json, {@code /health} answers 503
 * naming the database, and both come back by themselves once the database works again. The failure is real: the H2
 * database is shut down underneath the pool and cannot be opened again (its file is moved aside and a folder put in
 * its place), as when the disk or the file is lost.
 */
class StorageFailureTest {

    /** H2's own files are what this checks (the suite's PostgreSQL run skips it). */
    @BeforeAll
    static void onH2Only() {
        org.junit.jupiter.api.Assumptions.assumeFalse(TestDatabase.postgresql(), "checks the H2 file database");
    }

    @TempDir
    Path dir;

    @Test
    void aDatabaseThatCannotStoreAnswers503AndHealthSaysSoUntilItWorksAgain() throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            Api api = server.api();
            assertThat(api.post("/api/v1/devices", device("before")).status()).isEqualTo(201);
            Api.Reply healthy = server.anonymous().get("/health");
            assertThat(healthy.status()).isEqualTo(200);
            assertThat(healthy.json().get("status").asText()).isEqualTo("UP");
            for (String component : new String[] { "database", "coap", "coaps", "telemetryWriter" }) {
                assertThat(healthy.json().at("/components/" + component + "/status").asText()).as(component)
                        .isEqualTo("UP");
            }

            Path file = dir.resolve("fleet.mv.db");
            Path aside = dir.resolve("fleet.mv.db.aside");
            // Renamed while open (H2 keeps writing through its open file), then closed underneath the pool: from
            // now on every new connection finds a folder where the database file was.
            Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
            Files.createDirectory(file);
            try (var connection = DriverManager.getConnection(
                    "jdbc:h2:file:" + dir.toAbsolutePath().resolve("fleet") + ";DB_CLOSE_ON_EXIT=FALSE");
                    var statement = connection.createStatement()) {
                statement.execute("SHUTDOWN");
            }

            Api.Reply refused = api.post("/api/v1/devices", device("during"));
            assertThat(refused.status()).as(refused.text()).isEqualTo(503);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(refused.json().get("type").asText()).isEqualTo("urn:lwm2m-fleet:problem:storage-unavailable");
            Api.Reply revoke = api.delete("/api/v1/tokens/1");
            assertThat(revoke.status()).as(revoke.text()).isEqualTo(503);

            Api.Reply down = server.anonymous().get("/health");
            assertThat(down.status()).as(down.text()).isEqualTo(503);
            assertThat(down.json().get("status").asText()).isEqualTo("DOWN");
            assertThat(down.json().at("/components/database/status").asText()).isEqualTo("DOWN");
            assertThat(down.json().at("/components/database/detail").asText()).isNotBlank();
            assertThat(down.json().at("/components/coaps/status").asText()).isEqualTo("UP");

            // The disk is back: the pool opens the database again, and nothing is pretended in between.
            Files.delete(file);
            Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> server.anonymous().get("/health").status() == 200);
            JsonNode recovered = server.anonymous().get("/health").json();
            assertThat(recovered.at("/components/database/status").asText()).isEqualTo("UP");
            assertThat(api.post("/api/v1/devices", device("after")).status()).isEqualTo(201);
            assertThat(api.get("/api/v1/devices/before").status()).isEqualTo(200);
            assertThat(api.get("/api/v1/devices/during").status()).as("a 503 write is not stored").isEqualTo(404);
        }
    }

    @Test
    void theDataFolderTheDatabaseKeysAndTheDemoSecretAreTheOwnersOnly() throws Exception {
        Path data = dir.resolve("data");
        try (TestServer server = TestServer.start(data, c -> c.demo(true).demoDevices(1))) {
            assertThat(server.api().get("/api/v1/devices/demo-electricity-meter-1").status()).isEqualTo(200);
        }
        Set<PosixFilePermission> folder = PosixFilePermissions.fromString("rwx------");
        Set<PosixFilePermission> file = PosixFilePermissions.fromString("rw-------");
        assertThat(Files.getPosixFilePermissions(data)).isEqualTo(folder);
        assertThat(Files.getPosixFilePermissions(data.resolve("keys"))).isEqualTo(folder);
        assertThat(Files.getPosixFilePermissions(data.resolve("fleet.mv.db"))).as("holds the PSKs").isEqualTo(file);
        assertThat(Files.getPosixFilePermissions(data.resolve("keys/server-key.pem"))).isEqualTo(file);
        assertThat(Files.getPosixFilePermissions(data.resolve("demo-fleet-secret"))).isEqualTo(file);
        assertThat(Files.getPosixFilePermissions(data.resolve("initial-admin-password").getParent()))
                .isEqualTo(folder);
    }

    private static String device(String endpoint) {
        return "{\"endpoint\":\"" + endpoint + "\",\"credentials\":{\"kind\":\"psk\",\"identity\":\"" + endpoint
                + "\",\"key\":\"0102030405060708\"}}";
    }
}
