package org.lwm2mfleet.server.telemetry;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.error.FleetException;

/**
 * {@code GET /api/v1/devices/{endpoint}/telemetry?path=&from=&to=&step=} and {@code .../telemetry/latest}.
 */
public final class TelemetryResource {

    /** The dates a query may name: no point is stored outside them (see DeviceTimestamps). */
    static final Instant EARLIEST = Instant.EPOCH;
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final TelemetryService telemetry;
    private final DeviceService devices;

    public TelemetryResource(TelemetryService telemetry, DeviceService devices) {
        this.telemetry = telemetry;
        this.devices = devices;
    }

    public void register(Router router) {
        router.get("/api/v1/devices/{endpoint}/telemetry/latest", this::latest);
        router.get("/api/v1/devices/{endpoint}/telemetry", this::series);
    }

    private void latest(Exchange exchange) {
        String endpoint = exchange.path("endpoint");
        devices.get(endpoint);
        exchange.json(200, Map.of("items", telemetry.latest(endpoint).stream().map(TelemetryService::json).toList()));
    }

    /** Raw points by default (at most {@code limit}); with {@code step}, min/max/avg per step of numeric values. */
    private void series(Exchange exchange) {
        String endpoint = exchange.path("endpoint");
        devices.get(endpoint);
        String path = exchange.query("path");
        if (path == null) {
            throw FleetException.invalid("path", "is required, e.g. /3303/0/5700");
        }
        path = path.startsWith("/") ? path : "/" + path;
        Instant to = instant(exchange.query("to"), "to", Instant.now());
        Instant from = instant(exchange.query("from"), "from", to.minus(Duration.ofHours(1)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("path", path);
        body.put("from", from);
        body.put("to", to);
        String step = exchange.query("step");
        if (step != null) {
            Duration duration;
            try {
                duration = Duration.parse(step);
            } catch (DateTimeParseException e) {
                throw FleetException.invalid("step", "an ISO-8601 duration such as PT1M");
            }
            // Duration.parse takes PT-9999999999H too; milliseconds of such a step overflow a long.
            if (duration.isNegative() || duration.compareTo(Duration.between(EARLIEST, LATEST)) > 0) {
                throw FleetException.invalid("step", "must be between PT1S and the range of dates (" + EARLIEST
                        + " to " + LATEST + ")");
            }
            body.put("step", duration);
            body.put("buckets", telemetry.downsampled(endpoint, path, from, to, duration));
        } else {
            int limit = exchange.queryInt("limit", 1000);
            if (limit < 1 || limit > TelemetryService.MAX_POINTS) {
                throw FleetException.invalid("limit", "must be between 1 and " + TelemetryService.MAX_POINTS);
            }
            body.put("points", telemetry.points(endpoint, path, from, to, limit).stream().map(p -> {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("time", p.time());
                json.put("value", p.number() != null && p.text() == null ? p.number()
                        : p.text() != null ? p.text() : null);
                json.put("number", p.number());
                return json;
            }).toList());
        }
        exchange.json(200, body);
    }

    private static Instant instant(String text, String field, Instant fallback) {
        if (text == null) {
            return fallback;
        }
        Instant instant;
        try {
            instant = Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw FleetException.invalid(field, "an ISO-8601 instant such as 2026-11-24T10:00:00Z");
        }
        // Instant goes to year 1,000,000,000; milliseconds since 1970 in a long do not (a 500 once).
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw FleetException.invalid(field, "must be between " + EARLIEST + " and " + LATEST + ", was " + text);
        }
        return instant;
    }
}
