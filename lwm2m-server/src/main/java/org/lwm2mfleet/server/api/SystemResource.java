package org.lwm2mfleet.server.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.lwm2mfleet.server.device.DeviceStatus;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** {@code GET /health} and {@code GET /metrics} (Prometheus text format). */
public final class SystemResource {

    private final PrometheusMeterRegistry meters;
    private final Supplier<Map<DeviceStatus, Long>> deviceCounts;
    private final Supplier<Map<String, Object>> endpoints;

    public SystemResource(PrometheusMeterRegistry meters, Supplier<Map<DeviceStatus, Long>> deviceCounts,
            Supplier<Map<String, Object>> endpoints) {
        this.meters = meters;
        this.deviceCounts = deviceCounts;
        this.endpoints = endpoints;
    }

    public void register(Router router) {
        router.get("/health", this::health);
        router.get("/metrics", this::metrics);
    }

    private void health(Exchange exchange) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        Map<String, Long> devices = new LinkedHashMap<>();
        deviceCounts.get().forEach((status, count) -> devices.put(status.name().toLowerCase(Locale.ROOT), count));
        body.put("devices", devices);
        body.put("endpoints", endpoints.get());
        exchange.json(200, body);
    }

    private void metrics(Exchange exchange) {
        exchange.send(200, "text/plain; version=0.0.4; charset=utf-8",
                meters.scrape().getBytes(StandardCharsets.UTF_8));
    }
}
