package org.lwm2mfleet.server.device;

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

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/devices:tags}: adds and removes tags on many devices at once (the console's bulk tagging).
 * Body {@code {"devices": ["a", "b"], "add": ["floor-2"], "remove": ["old"]}}; all or nothing, in one transaction.
 * Answers {@code {"updated": 2, "missing": []}}: endpoints that do not exist are listed, not failed.
 */
public final class DeviceTagsResource {

    private static final int MAX_DEVICES = 10_000;
    private static final Set<String> FIELDS = Set.of("devices", "add", "remove");

    private final DeviceService devices;

    public DeviceTagsResource(DeviceService devices) {
        this.devices = devices;
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
        List<String> endpoints = strings(body, "devices", null);
        if (endpoints.isEmpty()) {
            throw FleetException.invalid("devices", "give at least one endpoint");
        }
        if (endpoints.size() > MAX_DEVICES) {
            throw FleetException.invalid("devices", "at most " + MAX_DEVICES + " endpoints at once");
        }
        List<String> add = strings(body, "add", DeviceService.TAG);
        List<String> remove = strings(body, "remove", DeviceService.TAG);
        if (add.isEmpty() && remove.isEmpty()) {
            throw FleetException.invalid("add", "give tags to add and/or remove");
        }
        DeviceService.RetagResult result = devices.retag(endpoints, add, remove);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("updated", result.updated());
        answer.put("missing", result.missing());
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
