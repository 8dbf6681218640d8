package org.lwm2mfleet.server.device;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.flywaydb.core.Flyway;
import org.lwm2mfleet.server.Api;
import org.lwm2mfleet.server.TestServer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Not a test: measures the device list at 100,000 devices, the shape of {@code bench api-under-load}'s registry
 * (endpoints {@code bench-000001}…, tag {@code bench}) without its reporting devices. The registry is written with
 * JDBC at schema version 9, then the real server starts on it (timing migration V10), and the list is called over
 * HTTP one request at a time. Run:
 *
 * <pre>
 * mvn -B -o -q test-compile -pl lwm2m-server -am
 * java -cp lwm2m-server/target/test-classes:lwm2m-server/target/classes:$(cat /tmp/cp.txt) \
 *     org.lwm2mfleet.server.device.DeviceListHarness [devices] [requests]
 * </pre>
 */
public final class DeviceListHarness {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        Path dir = Files.createTempDirectory("device-list-harness");
        String url = "jdbc:h2:file:" + dir.resolve("fleet").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target("9").load()
                .migrate();
        long t0 = System.nanoTime();
        Random random = new Random(7);
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            PreparedStatement device = c.prepareStatement("INSERT INTO devices (endpoint, label, credentials_kind,"
                    + " psk_identity, psk_key, created_at, status, registration_id, last_update, registered_at)"
                    + " VALUES (?, ?, 'psk', ?, ?, ?, 'OFFLINE', ?, ?, ?)");
            PreparedStatement tag = c.prepareStatement("INSERT INTO device_tags (endpoint, tag) VALUES (?, ?)");
            for (int n = 1; n <= count; n++) {
                String endpoint = String.format("bench-%06d", n);
                device.setString(1, endpoint);
                device.setString(2, n % 4 == 0 ? null : "Site " + (n % 1000));
                device.setString(3, endpoint);
                device.setBytes(4, new byte[16]);
                device.setTimestamp(5, new Timestamp(1_790_000_000_000L + n * 10L));
                boolean seen = n % 10 == 0;
                Timestamp at = seen ? new Timestamp(1_795_000_000_000L + random.nextInt(86_400) * 1000L) : null;
                device.setString(6, seen ? "reg-" + n : null);
                device.setTimestamp(7, at);
                device.setTimestamp(8, at);
                device.addBatch();
                tag.setString(1, endpoint);
                tag.setString(2, "bench");
                tag.addBatch();
                if (n % 1000 == 0) {
                    device.executeBatch();
                    tag.executeBatch();
                    c.commit();
                }
            }
            device.executeBatch();
            tag.executeBatch();
            c.commit();
            c.createStatement().execute("SHUTDOWN");
        }
        System.out.printf("registry of %,d devices written at schema 9 in %.1f s%n", count,
                (System.nanoTime() - t0) / 1e9);

        t0 = System.nanoTime();
        try (TestServer server = TestServer.start(dir)) {
            System.out.printf("server started (migration V10 included) in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Api api = server.api();
            HttpClient http = server.httpClient();
            checkSearch(api, url, random);
            // Warm up: the JIT, H2's page cache.
            measure("warm-up", http, api, requests / 4, random, count, true);
            measure("measured", http, api, requests, random, count, false);
        }
    }

    private static void measure(String name, HttpClient http, Api api, int requests, Random random, int count,
            boolean quiet) throws Exception {
        List<Double> list = new ArrayList<>();
        List<Double> next = new ArrayList<>();
        List<Double> single = new ArrayList<>();
        List<Double> sorted = new ArrayList<>();
        List<Double> sortedNext = new ArrayList<>();
        List<Double> shortText = new ArrayList<>();
        String[] sorts = { "-lastUpdate", "label", "-label", "status", "createdAt", "-endpoint" };
        for (int i = 0; i < requests; i++) {
            String q = String.format("%03d", random.nextInt(1000));
            JsonNode page = timed(list, http, api, "/api/v1/devices?tag=bench&q=" + q + "&limit=50");
            String cursor = page.path("nextCursor").asText(null);
            if (cursor != null) {
                timed(next, http, api, "/api/v1/devices?tag=bench&q=" + q + "&limit=50&cursor=" + cursor);
            }
            timed(single, http, api, "/api/v1/devices/" + String.format("bench-%06d", 1 + random.nextInt(count)));
            String sort = sorts[i % sorts.length];
            JsonNode first = timed(sorted, http, api, "/api/v1/devices?tag=bench&sort=" + sort + "&limit=50");
            JsonNode second = first;
            for (int p = 0; p < 3 && second.path("nextCursor").isTextual(); p++) {
                second = timed(sortedNext, http, api, "/api/v1/devices?tag=bench&sort=" + sort + "&limit=50&cursor="
                        + second.get("nextCursor").asText());
            }
            timed(shortText, http, api, "/api/v1/devices?q=" + (char) ('a' + random.nextInt(26)) + random.nextInt(10)
                    + "&sort=" + sort + "&limit=50");
        }
        if (quiet) {
            return;
        }
        report("list tag=bench&q=<3 digits>", list);
        report("  its next page", next);
        report("single device", single);
        report("list tag=bench&sort=<6 sorts>", sorted);
        report("  its pages 2 to 4", sortedNext);
        report("list q=<letter+digit>&sort=<6 sorts>", shortText);
    }

    /** The grams the migration wrote find exactly what a LIKE over the table finds. */
    private static void checkSearch(Api api, String url, Random random) throws Exception {
        try (Connection c = DriverManager.getConnection(url)) {
            for (int i = 0; i < 20; i++) {
                String q = i % 2 == 0 ? String.format("%03d", random.nextInt(1000)) : "site " + random.nextInt(100);
                List<String> expected = new ArrayList<>();
                try (PreparedStatement like = c.prepareStatement("SELECT endpoint FROM devices WHERE"
                        + " LOWER(endpoint) LIKE ? OR LOWER(label) LIKE ? ORDER BY endpoint")) {
                    like.setString(1, "%" + q + "%");
                    like.setString(2, "%" + q + "%");
                    try (var rows = like.executeQuery()) {
                        while (rows.next()) {
                            expected.add(rows.getString(1));
                        }
                    }
                }
                List<String> found = new ArrayList<>();
                String cursor = null;
                do {
                    JsonNode page = api.get("/api/v1/devices?limit=500&q=" + q.replace(" ", "%20")
                            + (cursor == null ? "" : "&cursor=" + cursor)).json();
                    page.get("items").forEach(d -> found.add(d.get("endpoint").asText()));
                    cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
                } while (cursor != null);
                if (!found.equals(expected)) {
                    throw new IllegalStateException("q=" + q + ": " + found.size() + " found, " + expected.size()
                            + " expected");
                }
            }
        }
        System.out.println("search after migration: 20 searches find exactly what LIKE finds");
    }

    private static JsonNode timed(List<Double> into, HttpClient http, Api api, String path) throws Exception {
        HttpRequest request = api.request(path).GET().build();
        long t0 = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        into.add((System.nanoTime() - t0) / 1e6);
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " → " + response.statusCode() + " " + response.body());
        }
        return org.lwm2mfleet.server.api.Json.MAPPER.readTree(response.body());
    }

    private static void report(String name, List<Double> millis) {
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        System.out.printf("%-40s n=%5d  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms%n", name, sorted.size(),
                sorted.get(sorted.size() / 2), sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1),
                sorted.get(sorted.size() - 1));
    }
}
