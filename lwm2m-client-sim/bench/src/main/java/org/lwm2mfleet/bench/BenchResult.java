package org.lwm2mfleet.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** What one scenario measured: its parameters, the machine, the figures and notes; printed as a table or JSON. */
public final class BenchResult {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String scenario;
    private final Instant startedAt;
    private final Map<String, Object> parameters = new LinkedHashMap<>();
    private final Map<String, Object> server = new LinkedHashMap<>();
    private final List<Figure> figures = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Machine machine = Machine.current();

    public BenchResult(String scenario, Instant startedAt) {
        this.scenario = scenario;
        this.startedAt = startedAt;
    }

    public String scenario() {
        return scenario;
    }

    public BenchResult parameter(String name, Object value) {
        parameters.put(name, value == null ? null : value instanceof Number || value instanceof Boolean ? value
                : value.toString());
        return this;
    }

    public BenchResult server(String name, Object value) {
        server.put(name, value == null ? null : value.toString());
        return this;
    }

    public BenchResult add(Figure figure) {
        figures.add(figure);
        return this;
    }

    public BenchResult note(String note) {
        notes.add(note);
        return this;
    }

    public List<Figure> figures() {
        return List.copyOf(figures);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** The figure of that name, or null. */
    public Figure figure(String name) {
        return figures.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
    }

    /** Whether every figure with a target meets it. */
    public boolean targetsMet() {
        return figures.stream().allMatch(f -> f.met() == null || f.met());
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("scenario", scenario);
        root.put("startedAt", startedAt.toString());
        root.set("parameters", JSON.valueToTree(parameters));
        root.set("machine", JSON.valueToTree(machine.toMap()));
        root.set("server", JSON.valueToTree(server));
        var list = root.putArray("figures");
        for (Figure figure : figures) {
            ObjectNode node = list.addObject();
            node.put("name", figure.name());
            if (Double.isNaN(figure.value())) {
                node.putNull("value");
            } else {
                node.put("value", figure.value());
            }
            node.put("unit", figure.unit());
            if (figure.target() != null) {
                node.put("target", figure.target());
                node.put("met", figure.met());
            }
        }
        var notesNode = root.putArray("notes");
        notes.forEach(notesNode::add);
        return root;
    }

    public void writeJson(Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, JSON.writeValueAsString(toJson()) + "\n");
    }

    /** A human table: one line per figure, with its target and whether it is met. */
    public void printTable(PrintStream out) {
        out.printf("%n== %s (%s) ==%n", scenario, startedAt);
        out.printf("machine: %d cores, %.1f GiB, Java %s; server: %s%n", machine.cores(),
                machine.memoryBytes() / (1024.0 * 1024 * 1024), machine.javaVersion(), server);
        out.printf("parameters: %s%n", parameters);
        int width = Math.max(24, figures.stream().mapToInt(f -> f.name().length()).max().orElse(0));
        out.printf("%-" + width + "s %16s %-8s %-12s %s%n", "figure", "value", "unit", "target", "");
        for (Figure f : figures) {
            out.printf("%-" + width + "s %16s %-8s %-12s %s%n", f.name(), Figure.format(f.value()), f.unit(),
                    f.target() == null ? "" : f.target(), f.met() == null ? "" : f.met() ? "met" : "MISSED");
        }
        notes.forEach(note -> out.println("note: " + note));
    }
}
