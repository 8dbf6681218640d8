package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The server's rooms (packages) as their sources name each other: no room reaches itself through others, and the
 * HTTP plumbing ({@code api}) and the shared base rooms depend on nothing feature-specific. What
 * docs/architecture.md draws, checked on every build.
 */
class PackageGraphTest {

    private static final Path SOURCES = Path.of("src", "main", "java", "org", "lwm2mfleet", "server");
    private static final Pattern REFERENCE = Pattern.compile("org\\.lwm2mfleet\\.server\\.([a-z]+)\\.[A-Z]");
    /** Rooms every other room may use; they use only each other. */
    private static final Set<String> BASE = Set.of("error", "events", "config", "store", "runtime");

    @Test
    void noRoomReachesItselfThroughOthers() throws IOException {
        Map<String, Set<String>> graph = graph();
        assertThat(graph).containsKeys("api", "auth", "device", "ops", "lwm2m");
        for (String room : graph.keySet()) {
            assertThat(pathBack(graph, room)).as("a cycle through " + room).isEmpty();
        }
    }

    @Test
    void thePlumbingAndTheBaseDependOnNoFeature() throws IOException {
        Map<String, Set<String>> graph = graph();
        Set<String> allowedForApi = new TreeSet<>(BASE);
        assertThat(graph.get("api")).as("api uses").isSubsetOf(allowedForApi);
        for (String base : BASE) {
            assertThat(graph.getOrDefault(base, Set.of())).as(base + " uses").isSubsetOf(BASE);
        }
    }

    /** Package → the packages its sources name, from the root package's classes (FleetServer wires) excluded. */
    private static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = SOURCES.relativize(file.getParent());
                if (relative.toString().isEmpty()) {
                    continue; // FleetServer and Main wire every room: they stand above them all
                }
                String room = relative.getName(0).toString();
                Set<String> uses = graph.computeIfAbsent(room, r -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(Files.readString(file));
                while (m.find()) {
                    if (!m.group(1).equals(room)) {
                        uses.add(m.group(1));
                    }
                }
            }
        }
        return graph;
    }

    /** A path from {@code start} back to itself, or empty. */
    private static List<String> pathBack(Map<String, Set<String>> graph, String start) {
        Deque<List<String>> todo = new ArrayDeque<>();
        todo.add(List.of(start));
        Set<String> seen = new TreeSet<>();
        while (!todo.isEmpty()) {
            List<String> path = todo.poll();
            for (String next : graph.getOrDefault(path.get(path.size() - 1), Set.of())) {
                List<String> longer = new ArrayList<>(path);
                longer.add(next);
                if (next.equals(start)) {
                    return longer;
                }
                if (seen.add(next)) {
                    todo.add(longer);
                }
            }
        }
        return List.of();
    }
}
