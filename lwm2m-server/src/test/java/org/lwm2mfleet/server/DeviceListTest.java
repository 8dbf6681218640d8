package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lwm2mfleet.server.DeviceOperationsTest.assertProblem;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The device list sorted on the server and paged with a keyset cursor: many devices share a label or a status, many
 * have no label or were never seen, and every sort in both directions must still visit each device exactly once.
 */
class DeviceListTest {

    /** Labels with ties (case-insensitive) and gaps (null). */
    private static final String[] LABELS = { null, "Alpha", "alpha", "Beta", null, "beta", "Gamma" };
    private static final int SMALL = 30;
    /** More than the list lets a filter drive the query (500): filtered by this tag, the list scans in order. */
    private static final int MANY = 520;
    private static final List<String> SORTS = List.of("endpoint", "label", "status", "lastUpdate", "createdAt");

    @TempDir
    static Path dir;
    static TestServer server;
    static Devices devices = new Devices();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        ArrayNode rows = Json.MAPPER.createArrayNode();
        for (int i = 0; i < SMALL; i++) {
            ObjectNode row = rows.addObject().put("endpoint", String.format("list-%02d", i));
            row.put("label", LABELS[i % LABELS.length]);
            row.putArray("tags").add("small");
            row.putObject("credentials").put("kind", "none");
        }
        for (int i = 0; i < MANY; i++) {
            ObjectNode row = rows.addObject().put("endpoint", String.format("many-%03d", i));
            row.put("label", i % 5 == 0 ? null : "Unit " + (i % 7));
            row.putArray("tags").add("many");
            row.putObject("credentials").put("kind", "none");
        }
        Api.Reply bulk = server.api().post("/api/v1/devices:bulk", rows.toString());
        assertThat(bulk.json().get("created").asInt()).as(bulk.text()).isEqualTo(SMALL + MANY);
        // Three devices register (seen, online); one of them leaves again (seen, offline); the rest were never seen.
        for (String endpoint : List.of("list-03", "list-11", "list-24")) {
            devices.start(endpoint, Profile.ENVIRONMENT_SENSOR, server.server().coapUri(), DeviceSecurity.none());
            RegistryLifecycleTest.awaitStatus(server, endpoint, "online");
        }
        SimulatedDevice leaving = devices.start("list-17", Profile.ENVIRONMENT_SENSOR, server.server().coapUri(),
                DeviceSecurity.none());
        RegistryLifecycleTest.awaitStatus(server, "list-17", "online");
        leaving.destroy();
        RegistryLifecycleTest.awaitStatus(server, "list-17", "offline");
    }

    @AfterAll
    static void stop() throws Exception {
        devices.close();
        server.close();
    }

    @Test
    void everySortInBothDirectionsVisitsEachDeviceOnceInOrder() {
        for (String sort : SORTS) {
            for (String direction : List.of("", "-")) {
                // Filtered by a small tag: the tag's few devices are taken and sorted.
                assertPagedInOrder("tag=small&sort=" + direction + sort, 4, SMALL);
                // Not filtered: the list walks the sort's index.
                assertPagedInOrder("sort=" + direction + sort, 60, SMALL + MANY);
            }
        }
    }

    @Test
    void aFilterMatchingManyDevicesScansInSortOrder() {
        assertPagedInOrder("tag=many&sort=label", 50, MANY);
        assertPagedInOrder("tag=many&sort=-label", 70, MANY);
        assertPagedInOrder("tag=many&q=MANY-&sort=-status", 100, MANY);
        assertPagedInOrder("status=offline&sort=-createdAt", 100, SMALL + MANY - 3);
    }

    @Test
    void nullsComeLastInBothDirections() {
        List<JsonNode> up = all("tag=small&sort=label", 5);
        List<JsonNode> down = all("tag=small&sort=-label", 5);
        assertThat(up.get(0).get("label").asText()).isEqualToIgnoringCase("alpha");
        assertThat(down.get(0).get("label").asText()).isEqualTo("Gamma");
        for (List<JsonNode> list : List.of(up, down)) {
            long withLabel = list.stream().filter(d -> !d.get("label").isNull()).count();
            assertThat(list.subList((int) withLabel, list.size())).allMatch(d -> d.get("label").isNull());
            assertThat(withLabel).isLessThan(list.size());
        }
        List<String> seen = all("tag=small&sort=-lastUpdate", 2).stream().map(d -> d.get("endpoint").asText())
                .toList();
        assertThat(seen.subList(0, 4)).containsExactlyInAnyOrder("list-03", "list-11", "list-17", "list-24");
        assertThat(seen.get(4)).isEqualTo("list-29");
        assertThat(all("tag=small&sort=lastUpdate", 2).get(4).get("endpoint").asText()).isEqualTo("list-00");
        assertThat(all("tag=small&sort=status", 3).stream().limit(3).map(d -> d.get("endpoint").asText()))
                .containsExactly("list-03", "list-11", "list-24");
    }

    @Test
    void theTextFilterFindsWhatContainsItWhateverItsLength() {
        List<JsonNode> everything = all("limit=500", 500);
        for (String q : List.of("a", "ST-1", "ta", "-1", "beta", "unit 3", "y-00", "zzz", "many-51", "%", "_")) {
            String lower = q.toLowerCase(Locale.ROOT);
            List<String> expected = everything.stream()
                    .filter(d -> d.get("endpoint").asText().toLowerCase(Locale.ROOT).contains(lower)
                            || d.get("label").asText("").toLowerCase(Locale.ROOT).contains(lower))
                    .map(d -> d.get("endpoint").asText()).sorted().toList();
            List<String> found = all("q=" + URLEncoder.encode(q, StandardCharsets.UTF_8), 40).stream()
                    .map(d -> d.get("endpoint").asText()).toList();
            assertThat(found).as("q=" + q).isEqualTo(expected);
        }
        assertThat(all("q=alpha&sort=-endpoint", 1).stream().map(d -> d.get("endpoint").asText()))
                .containsExactly("list-29", "list-23", "list-22", "list-16", "list-15", "list-09", "list-08", "list-02",
                        "list-01");
    }

    @Test
    void anUnknownSortOrAForeignCursorIs400NamingTheField() {
        assertProblem(server.api().get("/api/v1/devices?sort=colour"), 400, "sort");
        assertProblem(server.api().get("/api/v1/devices?sort=-tags"), 400, "sort");
        String cursor = server.api().get("/api/v1/devices?tag=small&sort=label&limit=2").json().get("nextCursor")
                .asText();
        assertProblem(server.api().get("/api/v1/devices?tag=small&sort=-label&limit=2&cursor=" + cursor), 400,
                "cursor");
        assertProblem(server.api().get("/api/v1/devices?tag=small&limit=2&cursor=" + cursor), 400, "cursor");
        assertThat(server.api().get("/api/v1/devices?tag=small&sort=-label&cursor=" + cursor).json().get("detail")
                .asText()).contains("'label'");
        assertProblem(server.api().get("/api/v1/devices?cursor=list-03"), 400, "cursor");
        assertProblem(server.api().get("/api/v1/devices?cursor=eyJzb3J0IjoibGFiZWwifQ"), 400, "cursor");
        // The same cursor with its own sort goes on.
        assertThat(server.api().get("/api/v1/devices?tag=small&sort=label&limit=2&cursor=" + cursor).status())
                .isEqualTo(200);
    }

    /** Pages through the whole list and checks each device came once, in the order the sort promises. */
    private static void assertPagedInOrder(String query, int limit, int expected) {
        List<JsonNode> list = all(query, limit);
        List<String> endpoints = list.stream().map(d -> d.get("endpoint").asText()).toList();
        assertThat(new HashSet<>(endpoints)).as(query).hasSize(endpoints.size());
        assertThat(endpoints).as(query).hasSize(expected);
        String sort = query.replaceAll(".*sort=", "");
        assertThat(list).as(query).isSortedAccordingTo(order(sort));
    }

    /** Every device of the list with these parameters, page after page. */
    static List<JsonNode> all(String query, int limit) {
        List<JsonNode> items = new ArrayList<>();
        Set<String> cursors = new HashSet<>();
        String cursor = null;
        do {
            Api.Reply page = server.api().get("/api/v1/devices?" + query + "&limit=" + limit
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as(query + " " + page.text()).isEqualTo(200);
            page.json().get("items").forEach(items::add);
            cursor = page.json().get("nextCursor").isNull() ? null : page.json().get("nextCursor").asText();
            assertThat(cursor == null || cursors.add(cursor)).as("a cursor repeats: " + query).isTrue();
            if (cursor != null) {
                assertThat(page.json().get("items")).hasSize(limit);
            }
        } while (cursor != null);
        return items;
    }

    private static final Map<String, Integer> STATUS_RANK = Map.of("online", 0, "sleeping", 1, "offline", 2);

    /** The promised order: the key (absent keys last, in either direction), then the endpoint, same direction. */
    static Comparator<JsonNode> order(String sort) {
        boolean descending = sort.startsWith("-");
        String key = descending ? sort.substring(1) : sort;
        Function<JsonNode, Comparable<?>> value = switch (key) {
        case "endpoint" -> d -> null;
        case "label" -> d -> d.get("label").isNull() ? null : d.get("label").asText().toLowerCase(Locale.ROOT);
        case "status" -> d -> STATUS_RANK.get(d.get("status").asText());
        case "lastUpdate" -> d -> d.get("lastUpdate").isNull() ? null : Instant.parse(d.get("lastUpdate").asText());
        case "createdAt" -> d -> Instant.parse(d.get("createdAt").asText());
        default -> throw new IllegalArgumentException(key);
        };
        Comparator<JsonNode> byEndpoint = Comparator.comparing(d -> d.get("endpoint").asText());
        @SuppressWarnings({ "unchecked", "rawtypes" })
        Comparator<JsonNode> byKey = (a, b) -> {
            Comparable x = value.apply(a);
            Comparable y = value.apply(b);
            if (x == null || y == null) {
                return 0;
            }
            return x.compareTo(y);
        };
        Comparator<JsonNode> nullsLast = Comparator.comparing(d -> value.apply(d) == null);
        Comparator<JsonNode> directed = descending ? byKey.thenComparing(byEndpoint).reversed()
                : byKey.thenComparing(byEndpoint);
        return nullsLast.thenComparing(directed);
    }
}
