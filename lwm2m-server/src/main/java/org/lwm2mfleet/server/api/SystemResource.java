package org.lwm2mfleet.server.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code GET /health} (open) and {@code GET /metrics} (Prometheus text format, for a viewer's token). Health asks each
 * component that can fail (the database with a real write, the CoAP endpoints, the telemetry writer) and answers 503
 * when one is down, so that a load balancer or orchestrator stops sending traffic to a node that would lose it.
 */
public final class SystemResource {

    private final PrometheusMeterRegistry meters;
    private final Supplier<Map<String, Object>> endpoints;
    private final Supplier<Map<String, Health>> components;

    public SystemResource(PrometheusMeterRegistry meters, Supplier<Map<String, Object>> endpoints,
            Supplier<Map<String, Health>> components) {
        this.meters = meters;
        this.endpoints = endpoints;
        this.components = components;
    }

    public void register(Router router) {
        // Open, for load balancers and orchestrators; it says nothing about the fleet.
        router.open("GET", "/health", this::health);
        router.get("/metrics", this::metrics);
    }

    private void health(Exchange exchange) {
        boolean up = true;
        Map<String, Object> parts = new LinkedHashMap<>();
        for (Map.Entry<String, Health> component : components.get().entrySet()) {
            Health health = component.getValue();
            up &= health.up();
            Map<String, Object> part = new LinkedHashMap<>();
            part.put("status", health.up() ? "UP" : "DOWN");
            if (health.detail() != null) {
                part.put("detail", health.detail());
            }
            parts.put(component.getKey(), part);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("components", parts);
        body.put("endpoints", endpoints.get());
        exchange.json(up ? 200 : 503, body);
    }

    private void metrics(Exchange exchange) {
        exchange.send(200, "text/plain; version=0.0.4; charset=utf-8",
                meters.scrape().getBytes(StandardCharsets.UTF_8));
    }
}
