package org.lwm2mfleet.server.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.lwm2mfleet.server.runtime.Requester;
import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.auth.Role;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * REST for operations on a registered device, under {@code /api/v1/devices/{endpoint}}. The reply is sent when the
 * device answers (or the timeout hits); nothing is sent to the device when the request is invalid.
 */
public final class OperationsResource {

    private static final String DEVICE = "/api/v1/devices/{endpoint}";
    private static final String OBJECTS = DEVICE + "/objects/{path*}";

    private final DeviceOperations operations;
    private final OperationDispatcher dispatcher;
    private final PendingOperations pending;
    private final OperationLog log;
    private final ObservationRegistry observations;
    private final DeviceService devices;

    public OperationsResource(DeviceOperations operations, OperationDispatcher dispatcher, PendingOperations pending,
            OperationLog log, ObservationRegistry observations, DeviceService devices) {
        this.operations = operations;
        this.dispatcher = dispatcher;
        this.pending = pending;
        this.log = log;
        this.observations = observations;
        this.devices = devices;
    }

    public void register(Router router) {
        router.post(OBJECTS + "/execute", e -> submit(e, "execute", e.bodyJsonOrNull()));
        router.get(OBJECTS + "/discover", e -> submit(e, "discover", null));
        router.put(OBJECTS + "/attributes",
                e -> submit(e, "write-attributes", TextNode.valueOf(attributeQuery(e.bodyJson(), "body"))));
        router.get(OBJECTS, e -> submit(e, "read", null));
        router.put(OBJECTS, this::write);
        router.post(OBJECTS, e -> submit(e, "create", e.bodyJson()));
        router.delete(OBJECTS, e -> submit(e, "delete", null));
        // A read, though it needs a body to name the paths.
        router.post(DEVICE + "/composite:read", Role.VIEWER, e -> {
            JsonNode body = e.bodyJson();
            OperationDispatcher.paths(body);
            submit(e, "read-composite", body);
        });
        router.post(DEVICE + "/composite:write", e -> submit(e, "write-composite", e.bodyJson()));
        router.get(DEVICE + "/observations", this::listObservations);
        router.post(DEVICE + "/observations", this::observe);
        router.delete(DEVICE + "/observations", this::cancelObservation);
        router.get(DEVICE + "/operations", this::operationLog);
        router.get(DEVICE + "/pending", this::listPending);
        router.get("/api/v1/operations/{id}", e -> e.json(200, pending.get(id(e))));
        router.delete("/api/v1/operations/{id}", e -> e.json(200, pending.cancel(id(e))));
    }

    private void write(Exchange exchange) {
        String mode = exchange.query("mode");
        if (mode != null && !mode.equals("partial") && !mode.equals("replace")) {
            throw FleetException.invalid("mode", "one of replace, partial");
        }
        submit(exchange, "partial".equals(mode) ? "write-partial" : "write", exchange.bodyJson());
    }

    /**
     * Runs the operation now, or answers 202 with the id of a pending operation when the device sleeps
     * ({@code ?expiresIn=PT1H} bounds how long it may wait).
     */
    private void submit(Exchange exchange, String operation, JsonNode body) {
        String path = exchange.path("path");
        OperationRequest request = new OperationRequest(operation, exchange.path("endpoint"),
                path == null ? null : DeviceOperations.normalize(path), body, exchange.query("format"),
                Requester.current());
        Formats.parse(request.format());
        if (operation.equals("execute")) {
            OperationDispatcher.arguments(body);
        }
        // A viewer may read an awake device but leaves nothing behind: no pending operation for a sleeping one.
        boolean mayQueue = exchange.caller() != null && exchange.caller().may(Role.OPERATOR);
        OperationDispatcher.Submission submission = dispatcher.submit(request, expiresIn(exchange), mayQueue);
        if (submission.pendingId() != null) {
            exchange.response().getHeaders().put("Location", "/api/v1/operations/" + submission.pendingId());
            exchange.json(202, pending.get(submission.pendingId()));
        } else {
            reply(exchange, submission.result());
        }
    }

    /** Body: {@code {"paths": ["/3303/0/5700"], "attributes": {"pmin": 1, "pmax": 5}, "format": "senml-cbor"}}. */
    private void observe(Exchange exchange) {
        JsonNode body = exchange.bodyJson();
        JsonNode attributes = body.get("attributes");
        JsonNode format = body.get("format");
        if (format != null && !format.isNull() && !format.isTextual()) {
            throw FleetException.invalid("format", "must be a string");
        }
        reply(exchange, operations.observe(exchange.path("endpoint"), OperationDispatcher.paths(body),
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

    private void listPending(Exchange exchange) {
        devices.get(exchange.path("endpoint"));
        exchange.json(200, Map.of("items", pending.ofDevice(exchange.path("endpoint"))));
    }

    private static long id(Exchange exchange) {
        try {
            return Long.parseLong(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "an operation id is a number");
        }
    }

    private static java.time.Duration expiresIn(Exchange exchange) {
        String text = exchange.query("expiresIn");
        if (text == null) {
            return null;
        }
        try {
            java.time.Duration duration = java.time.Duration.parse(text);
            if (duration.isNegative() || duration.isZero()) {
                throw FleetException.invalid("expiresIn", "must be positive");
            }
            return duration;
        } catch (java.time.format.DateTimeParseException e) {
            throw FleetException.invalid("expiresIn", "an ISO-8601 duration such as PT1H");
        }
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

    /** {@code {"pmin": 1, "pmax": 5}} as the query form LwM2M attributes are written in. */
    public static String attributeQuery(JsonNode json, String field) {
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
