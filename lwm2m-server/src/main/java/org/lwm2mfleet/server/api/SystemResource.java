package org.lwm2mfleet.server.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** {@code GET /health} (open) and {@code GET /metrics} (Prometheus text format, for a viewer's token). */
public final class SystemResource {

    private final PrometheusMeterRegistry meters;
    private final Supplier<Map<String, Object>> endpoints;

    public SystemResource(PrometheusMeterRegistry meters, Supplier<Map<String, Object>> endpoints) {
        this.meters = meters;
        this.endpoints = endpoints;
    }

    public void register(Router router) {
        // Open, for load balancers and orchestrators; it says nothing about the fleet.
        router.open("GET", "/health", this::health);
        router.get("/metrics", this::metrics);
    }

    private void health(Exchange exchange) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        body.put("endpoints", endpoints.get());
        exchange.json(200, body);
    }

    private void metrics(Exchange exchange) {
        exchange.send(200, "text/plain; version=0.0.4; charset=utf-8",
                meters.scrape().getBytes(StandardCharsets.UTF_8));
    }
}
