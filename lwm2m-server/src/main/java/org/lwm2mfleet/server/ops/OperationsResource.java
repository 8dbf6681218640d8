package org.lwm2mfleet.server.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * REST for operations on a registered device, under {@code /api/v1/devices/{endpoint}}. The reply is sent when the
 * device answers (or the timeout hits); nothing is sent to the device when the request is invalid.
 */
public final class OperationsResource {

    private static final String DEVICE = "/api/v1/devices/{endpoint}";
    private static final String OBJECTS = DEVICE + "/objects/{path*}";

    private final DeviceOperations operations;
    private final OperationLog log;
    private final ObservationRegistry observations;
    private final DeviceService devices;

    public OperationsResource(DeviceOperations operations, OperationLog log, ObservationRegistry observations,
            DeviceService devices) {
        this.operations = operations;
        this.log = log;
        this.observations = observations;
        this.devices = devices;
    }

    public void register(Router router) {
        router.post(OBJECTS + "/execute", this::execute);
        router.get(OBJECTS + "/discover", e -> reply(e, operations.discover(e.path("endpoint"), e.path("path"))));
        router.put(OBJECTS + "/attributes", this::writeAttributes);
        router.get(OBJECTS, e -> reply(e, operations.read(e.path("endpoint"), e.path("path"), e.query("format"))));
        router.put(OBJECTS, this::write);
        router.post(OBJECTS, e -> reply(e, operations.create(e.path("endpoint"), e.path("path"), e.bodyJson(),
                e.query("format"))));
        router.delete(OBJECTS, e -> reply(e, operations.delete(e.path("endpoint"), e.path("path"))));
        router.post(DEVICE + "/composite:read", e -> reply(e, operations.readComposite(e.path("endpoint"),
                paths(e.bodyJson()), e.query("format"))));
        router.post(DEVICE + "/composite:write", e -> reply(e, operations.writeComposite(e.path("endpoint"),
                e.bodyJson(), e.query("format"))));
        router.get(DEVICE + "/observations", this::listObservations);
        router.post(DEVICE + "/observations", this::observe);
        router.delete(DEVICE + "/observations", this::cancelObservation);
        router.get(DEVICE + "/operations", this::operationLog);
    }

    private void write(Exchange exchange) {
        String mode = exchange.query("mode");
        if (mode != null && !mode.equals("partial") && !mode.equals("replace")) {
            throw FleetException.invalid("mode", "one of replace, partial");
        }
        reply(exchange, operations.write(exchange.path("endpoint"), exchange.path("path"), exchange.bodyJson(),
                "partial".equals(mode), exchange.query("format")));
    }

    private void execute(Exchange exchange) {
        JsonNode body = exchange.bodyJsonOrNull();
        String arguments = null;
        if (body != null) {
            JsonNode args = body.get("arguments");
            if (args != null && !args.isNull() && !args.isTextual()) {
                throw FleetException.invalid("arguments", "must be a string such as \"0='a',1\"");
            }
            arguments = args == null || args.isNull() ? null : args.asText();
        }
        reply(exchange, operations.execute(exchange.path("endpoint"), exchange.path("path"), arguments));
    }

    /** Body: {@code {"pmin": 10, "pmax": 60, "gt": 25.5, "lt": 5, "st": 0.5, "epmin": 1, "epmax": 30}}. */
    private void writeAttributes(Exchange exchange) {
        reply(exchange, operations.writeAttributes(exchange.path("endpoint"), exchange.path("path"),
                attributeQuery(exchange.bodyJson(), "body")));
    }

    /** Body: {@code {"paths": ["/3303/0/5700"], "attributes": {"pmin": 1, "pmax": 5}, "format": "senml-cbor"}}. */
    private void observe(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        JsonNode attributes = body.get("attributes");
        JsonNode format = body.get("format");
        if (format != null && !format.isNull() && !format.isTextual()) {
            throw FleetException.invalid("format", "must be a string");
        }
        reply(exchange, operations.observe(exchange.path("endpoint"), paths(body),
                attributes == null || attributes.isNull() ? null : attributeQuery(attributes, "attributes"),
                format == null || format.isNull() ? null : format.asText()));
    }

    private void listObservations(Exchange exchange) {
        devices.get(exchange.path("endpoint"));
        List<Map<String, Object>> items = new ArrayList<>();
        for (ObservationRegistry.Remembered observation : observations.of(exchange.path("endpoint"))) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("paths", observation.paths());
            item.put("attributes", observation.attributes());
            item.put("format", observation.format());
            item.put("createdAt", observation.createdAt());
            items.add(item);
        }
        exchange.json(200, Map.of("items", items));
    }

    /** {@code DELETE .../observations?paths=/3303/0/5700} (comma-separated for a composite observation). */
    private void cancelObservation(Exchange exchange) {
        String paths = exchange.query("paths");
        if (paths == null) {
            throw FleetException.invalid("paths", "say which observation: ?paths=/3303/0/5700");
        }
        exchange.json(200, operations.cancelObservation(exchange.path("endpoint"),
                Arrays.stream(paths.split(",")).map(String::strip).toList()));
    }

    private void operationLog(Exchange exchange) {
        devices.get(exchange.path("endpoint"));
        int limit = exchange.queryInt("limit", 50);
        if (limit < 1 || limit > 500) {
            throw FleetException.invalid("limit", "must be between 1 and 500");
        }
        String cursor = exchange.query("cursor");
        Long before;
        try {
            before = cursor == null ? null : Long.valueOf(cursor);
        } catch (NumberFormatException e) {
            throw FleetException.invalid("cursor", "is not a cursor of this list");
        }
        List<OperationRecord> items = log.list(exchange.path("endpoint"), before, limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("nextCursor", items.size() < limit ? null : String.valueOf(items.get(items.size() - 1).id()));
        exchange.json(200, body);
    }

    private static List<String> paths(JsonNode body) {
        JsonNode paths = body.get("paths");
        if (paths == null || !paths.isArray() || paths.isEmpty()) {
            throw FleetException.invalid("paths", "a non-empty list of paths is required");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode path : paths) {
            if (!path.isTextual()) {
                throw FleetException.invalid("paths", "paths are strings such as \"/3303/0/5700\"");
            }
            list.add(path.asText());
        }
        return list;
    }

    private static String attributeQuery(JsonNode json, String field) {
        if (!json.isObject() || json.isEmpty()) {
            throw FleetException.invalid(field, "an object such as {\"pmin\": 10, \"pmax\": 60} is required");
        }
        List<String> pairs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> attribute = it.next();
            if (!attribute.getValue().isNumber()) {
                throw FleetException.invalid(field + "." + attribute.getKey(), "must be a number");
            }
            pairs.add(attribute.getKey() + "=" + attribute.getValue().asText());
        }
        return String.join("&", pairs);
    }

    private static void reply(Exchange exchange, CompletableFuture<Map<String, Object>> result) {
        result.whenComplete((value, error) -> {
            if (error != null) {
                exchange.fail(error);
            } else {
                exchange.json(200, value);
            }
        });
    }
}
