package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.config.DatabaseConfig;
import org.lwm2mfleet.server.config.ServerCommand;
import org.lwm2mfleet.server.migrate.MigrateDatabaseCommand;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine;

/**
 * {@code migrate-database}: a fleet that lived on H2 (demo devices online, devices of every credential kind, tags,
 * an observation and its telemetry, a pending operation, a firmware image, a campaign, rules, an alert, users,
 * tokens, audit) is copied into a fresh PostgreSQL database, and a server started on it carries on: same devices, the
 * old token, the RPK device signs in against the same server key, and the copied image updates it.
 */
class MigrateDatabaseTest {

    private static final String SECRET = "migrate-test-secret";
    /** Tables the fleet above fills: each must arrive with rows, not merely with equal zeros. */
    private static final List<String> FILLED = List.of("devices", "device_tags", "device_objects", "device_firmware",
            "observations", "pending_operations", "operation_log", "telemetry_points", "firmware_images", "campaigns",
            "campaign_devices", "rules", "rule_firings", "alerts", "users", "api_tokens", "audit_log",
            "lwm2m_registrations");

    @TempDir
    Path dir;

    @Test
    void aFleetMovesFromH2ToPostgresqlAndCarriesOn() throws Exception {
        Assumptions.assumeFalse(TestDatabase.postgresql(), "copies an H2 fleet: runs in the H2 run");
        Path h2Dir = dir.resolve("h2");
        Path pgDir = dir.resolve("pg");
        byte[] image = image("3.1.0", 40 * 1024);
        String token;
        long imageId;
        long pendingId;
        String pendingStatus;
        PublicKey serverKey;
        List<String> endpoints;
        // The devices stop after the server: their registrations stay on record, as when a server is stopped for good.
        try (Devices devices = new Devices(); TestServer h2 = TestServer.start(h2Dir, c -> c.demo(true)
                .demoDevices(5).queueAwakeTime(Duration.ofSeconds(1)))) {
            Api api = h2.api();
            token = api.token();
            await().atMost(Duration.ofSeconds(30)).until(
                    () -> api.get("/api/v1/devices?status=online&tag=demo").json().get("items").size() == 5);
            created(api.post("/api/v1/devices", "{\"endpoint\":\"mig-rpk\",\"label\":\"Roof RPK\",\"tags\":"
                    + "[\"migrated\",\"rpk\"],\"credentials\":{\"kind\":\"rpk\",\"publicKey\":\"" + java.util.Base64
                            .getEncoder().encodeToString(FleetCredentials.rpkKeyPair(SECRET, "mig-rpk").getPublic()
                                    .getEncoded()) + "\"}}"));
            Map<String, Object> x509 = new LinkedHashMap<>();
            x509.put("endpoint", "mig-x509");
            x509.put("tags", List.of("migrated", "x509"));
            x509.put("credentials", Map.of("kind", "x509", "certificate",
                    FleetCredentials.toPem(FleetCredentials.deviceCertificate(SECRET, "mig-x509"))));
            created(api.post("/api/v1/devices", Json.MAPPER.writeValueAsString(x509)));

            // A sleeping device with a write waiting for it.
            created(api.post("/api/v1/devices", "{\"endpoint\":\"mig-sleeper\",\"credentials\":{\"kind\":\"none\"}}"));
            devices.started(SimulatedDevice.builder("mig-sleeper", Profile.ENVIRONMENT_SENSOR)
                    .serverUri(h2.server().coapUri()).security(DeviceSecurity.none()).lifetime(Duration.ofSeconds(120))
                    .queueMode(Duration.ofSeconds(120)).build());
            RegistryLifecycleTest.awaitStatus(h2, "mig-sleeper", "sleeping");
            Api.Reply pending = api.put("/api/v1/devices/mig-sleeper/objects/3/0/14", "{\"value\":\"+03:00\"}");
            assertThat(pending.status()).as(pending.text()).isEqualTo(202);
            pendingId = pending.json().get("id").asLong();

            // Telemetry from an observation (of an awake device: the demo's sleep between their reports).
            devices.startPsk(h2, SECRET, "mig-psk", Profile.ENVIRONMENT_SENSOR);
            Api.Reply observe = api.post("/api/v1/devices/mig-psk/observations",
                    "{\"paths\":[\"/3303/0/5700\"]}");
            assertThat(observe.status()).as(observe.text()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> count(h2, "telemetry_points") > 0);

            imageId = upload(h2, "mig-fw", "3.1.0", image);
            created(api.post("/api/v1/campaigns", "{\"name\":\"moved\",\"imageId\":" + imageId
                    + ",\"tag\":\"x509\",\"concurrency\":1,\"stages\":[100]}"));
            created(api.post("/api/v1/users", "{\"username\":\"olga\",\"password\":\"olga-password-123\","
                    + "\"role\":\"operator\",\"mustChangePassword\":false}"));

            // The demo's gas rule fires: an alert, a firing, writes to the fan.
            assertThat(api.post("/api/v1/demo/gas-event", "{}").json().get("triggered").asBoolean()).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/api/v1/alerts?state=active").json()
                    .at("/counts/activeBySeverity/major").asLong() == 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> count(h2, "rule_firings") > 0);

            // (the sleeper may have woken and taken it by now: what matters is that the copy says the same)
            pendingStatus = api.get("/api/v1/operations/" + pendingId).json().get("status").asText();
            serverKey = h2.server().identity().publicKey();
            endpoints = endpoints(api);
            assertThat(endpoints).contains("mig-psk", "mig-rpk", "mig-x509", "mig-sleeper", "demo-gas-detector-1");
        }

        try (TestDatabase pg = TestDatabase.create()) {
            Run run = migrate("--from", h2Dir.toString(), "--to", pg.url(), "--to-user", TestDatabase.USER,
                    "--to-data-dir", pgDir.toString());
            System.out.println(run.out); // the report, in the test's output file
            assertThat(run.code).as(run.out + run.err).isZero();
            Map<String, long[]> counts = counts(run.out);
            assertThat(counts).containsKeys(FILLED.toArray(String[]::new));
            for (String table : FILLED) {
                assertThat(counts.get(table)[0]).as(table + " in the source").isPositive();
            }
            assertThat(counts).allSatisfy((table, c) -> assertThat(c[1]).as(table).isEqualTo(c[0]));
            assertThat(run.out).contains("not copied: device_search").contains("firmware image files: 1 copied");
            assertThat(Files.exists(pgDir.resolve("fleet.mv.db"))).isFalse();
            assertThat(Files.readAllBytes(pgDir.resolve("firmware").resolve(sha256(image) + ".bin"))).isEqualTo(image);

            // Once there, the target is not filled twice by mistake.
            Run again = migrate("--from", h2Dir.toString(), "--to", pg.url(), "--to-user", TestDatabase.USER,
                    "--to-data-dir", pgDir.toString());
            assertThat(again.code).isEqualTo(2);
            assertThat(again.err).contains("--allow-non-empty").contains("devices");

            try (TestServer moved = TestServer.start(pgDir, c -> c.databaseUrl(pg.url())
                    .database(DatabaseConfig.defaults().withUser(TestDatabase.USER)));
                    Devices devices = new Devices()) {
                // TestServer signed in as admin with the H2 fleet's password: the hash came along.
                Api old = moved.api().withToken(token);
                assertThat(endpoints(old)).isEqualTo(endpoints);
                JsonNode rpk = old.get("/api/v1/devices/mig-rpk").json();
                assertThat(rpk.get("label").asText()).isEqualTo("Roof RPK");
                assertThat(rpk.get("tags").toString()).contains("migrated", "rpk");
                assertThat(old.get("/api/v1/operations/" + pendingId).json().get("status").asText())
                        .isEqualTo(pendingStatus);
                assertThat(old.get("/api/v1/rules").text()).contains("Ventilate on gas (demo)");
                assertThat(old.get("/api/v1/alerts?state=active").json().at("/counts/activeBySeverity/major")
                        .asLong()).isEqualTo(1);
                assertThat(old.get("/api/v1/campaigns").text()).contains("moved");
                moved.anonymous().signIn("olga", "olga-password-123");

                // The RPK device knows the old server's key: the keys moved with the data folder.
                SimulatedDevice device = devices.start("mig-rpk", Profile.ELECTRICITY_METER,
                        moved.server().coapsUri(), DeviceSecurity.rpk(FleetCredentials.rpkKeyPair(SECRET, "mig-rpk"),
                                serverKey));
                RegistryLifecycleTest.awaitStatus(moved, "mig-rpk", "online");
                Api.Reply started = old.post("/api/v1/devices/mig-rpk/firmware-updates", "{\"imageId\":" + imageId + "}");
                assertThat(started.status()).as(started.text()).isEqualTo(202);
                // A new row takes an id after the copied ones (the identity sequences were moved on).
                long updateId = started.json().get("id").asLong();
                JsonNode done = await().atMost(Duration.ofSeconds(60)).until(
                        () -> old.get("/api/v1/firmware-updates/" + updateId).json(), u -> Stream.of("succeeded",
                                "failed").anyMatch(s -> s.equals(u.at("/update/status").asText())));
                assertThat(done.at("/update/status").asText()).as(done.toString()).isEqualTo("succeeded");
                assertThat(sha256(device.firmware().image())).isEqualTo(sha256(image));
                long secondImage = upload(moved, "mig-fw", "3.2.0", image("3.2.0", 1024));
                assertThat(secondImage).isGreaterThan(imageId);
            }
        }
    }

    @Test
    void refusesAFolderWithoutAFleetDatabaseAndANonPostgresqlTarget() throws Exception {
        Run noFleet = migrate("--from", dir.resolve("nothing").toString(), "--to", "jdbc:postgresql://127.0.0.1/x");
        assertThat(noFleet.code).isEqualTo(2);
        assertThat(noFleet.err).contains("--from").contains("fleet.mv.db");
        Run h2Target = migrate("--from", dir.toString(), "--to", "jdbc:h2:mem:x");
        assertThat(h2Target.code).isEqualTo(2);
        assertThat(h2Target.err).contains("--to").contains("jdbc:postgresql://");
    }

    private record Run(int code, String out, String err) {
    }

    /** The subcommand as Main runs it: under the server's command line. */
    private static Run migrate(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        MigrateDatabaseCommand command = new MigrateDatabaseCommand().printingTo(
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String[] line = Stream.concat(Stream.of("migrate-database"), Stream.of(args)).toArray(String[]::new);
        int code = new CommandLine(new ServerCommand()).addSubcommand(command).execute(line);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The report's table: table name → {source, target}. */
    private static Map<String, long[]> counts(String report) {
        Map<String, long[]> counts = new LinkedHashMap<>();
        report.lines().map(String::trim).map(l -> l.split("\\s+"))
                .filter(f -> f.length >= 3 && f[1].matches("\\d+") && f[2].matches("\\d+"))
                .forEach(f -> counts.put(f[0], new long[] { Long.parseLong(f[1]), Long.parseLong(f[2]) }));
        return counts;
    }

    private static List<String> endpoints(Api api) {
        return api.get("/api/v1/devices?limit=100").json().get("items").findValuesAsText("endpoint");
    }

    private static void created(Api.Reply reply) {
        assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    }

    private static long count(TestServer server, String table) throws Exception {
        try (Connection connection = server.connectToDatabase(); Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM " + table)) {
            row.next();
            return row.getLong(1);
        }
    }

    /** A simulated image: its header line says the version the device runs after installing it. */
    private static byte[] image(String version, int size) {
        byte[] header = ("SIMFW " + version + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[header.length + size];
        System.arraycopy(header, 0, image, 0, header.length);
        byte[] body = new byte[size];
        new Random(size).nextBytes(body);
        System.arraycopy(body, 0, image, header.length, size);
        return image;
    }

    private static long upload(TestServer server, String name, String version, byte[] image) throws Exception {
        var request = server.api().request("/api/v1/firmware?name=" + name + "&version=" + version)
                .header("Content-Type", "application/octet-stream")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(image)).build();
        var response = server.api().http().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return Json.MAPPER.readTree(response.body()).get("id").asLong();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
