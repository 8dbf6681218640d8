package org.lwm2mfleet.server.device;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.store.Jdbc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/devices:tags}: adds and removes tags on many devices at once (the console's bulk tagging).
 * Body {@code {"devices": ["a", "b"], "add": ["floor-2"], "remove": ["old"]}}; all or nothing, in one transaction.
 * Answers {@code {"updated": 2, "missing": []}}: endpoints that do not exist are listed, not failed.
 */
public final class DeviceTagsResource {

    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9._:\\-]{1,64}");
    private static final int MAX_TAGS = 32;
    private static final int MAX_DEVICES = 10_000;
    private static final Set<String> FIELDS = Set.of("devices", "add", "remove");

    private final Jdbc jdbc;

    public DeviceTagsResource(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void register(Router router) {
        router.post("/api/v1/devices:tags", this::tag);
    }

    private void tag(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        if (!body.isObject()) {
            throw FleetException.invalid("body", "must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw FleetException.invalid(name, "unknown field; known: add, devices, remove");
            }
        }
        List<String> devices = strings(body, "devices", null);
        if (devices.isEmpty()) {
            throw FleetException.invalid("devices", "give at least one endpoint");
        }
        if (devices.size() > MAX_DEVICES) {
            throw FleetException.invalid("devices", "at most " + MAX_DEVICES + " endpoints at once");
        }
        List<String> add = strings(body, "add", TAG);
        List<String> remove = strings(body, "remove", TAG);
        if (add.isEmpty() && remove.isEmpty()) {
            throw FleetException.invalid("add", "give tags to add and/or remove");
        }
        List<String> missing = new ArrayList<>();
        int updated = jdbc.inTransaction(() -> {
            int count = 0;
            for (String endpoint : devices) {
                if (jdbc.queryOne("SELECT 1 FROM devices WHERE endpoint = ?", row -> true, endpoint).isEmpty()) {
                    missing.add(endpoint);
                    continue;
                }
                for (String tag : remove) {
                    jdbc.update("DELETE FROM device_tags WHERE endpoint = ? AND tag = ?", endpoint, tag);
                }
                for (String tag : add) {
                    jdbc.update("INSERT INTO device_tags (endpoint, tag) SELECT ?, ? WHERE NOT EXISTS"
                            + " (SELECT 1 FROM device_tags WHERE endpoint = ? AND tag = ?)", endpoint, tag, endpoint, tag);
                }
                long tags = jdbc.queryOne("SELECT COUNT(*) AS n FROM device_tags WHERE endpoint = ?",
                        row -> row.getLong("n"), endpoint).orElse(0L);
                if (tags > MAX_TAGS) {
                    throw FleetException.invalid("add", endpoint + " would have " + tags + " tags, at most "
                            + MAX_TAGS);
                }
                count++;
            }
            return count;
        });
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("updated", updated);
        answer.put("missing", missing);
        exchange.json(200, answer);
    }

    private static List<String> strings(JsonNode body, String field, Pattern pattern) {
        JsonNode list = body.get(field);
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw FleetException.invalid(field, "must be a list of strings");
        }
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode item : list) {
            if (!item.isTextual()) {
                throw FleetException.invalid(field, "must be a list of strings");
            }
            if (pattern != null && !pattern.matcher(item.asText()).matches()) {
                throw FleetException.invalid(field, "tag '" + item.asText() + "' must be 1 to 64 letters, digits or . _ : -");
            }
            values.add(item.asText());
        }
        return List.copyOf(values);
    }
}
