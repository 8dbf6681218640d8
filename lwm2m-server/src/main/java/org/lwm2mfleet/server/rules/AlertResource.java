package org.lwm2mfleet.server.rules;

import java.util.Map;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.auth.Role;
import org.lwm2mfleet.server.error.FleetException;

/** REST for alerts: list and filter them with the counts, read one, acknowledge one. */
public final class AlertResource {

    private final Alerts alerts;

    public AlertResource(Alerts alerts) {
        this.alerts = alerts;
    }

    public void register(Router router) {
        router.get("/api/v1/alerts", this::list);
        router.get("/api/v1/alerts/{id}", e -> e.json(200, alerts.get(id(e))));
        router.post("/api/v1/alerts/{id}/acknowledge", Role.OPERATOR,
                e -> e.json(200, alerts.acknowledge(id(e), e.caller().actor())));
    }

    private void list(Exchange exchange) {
        int limit = exchange.queryInt("limit", 100);
        if (limit < 1 || limit > 1000) {
            throw FleetException.invalid("limit", "must be between 1 and 1000");
        }
        Alerts.Query query = new Alerts.Query(exchange.query("state"), exchange.query("severity"),
                exchange.query("endpoint"), exchange.queryLong("ruleId"), exchange.queryLong("before"), limit);
        exchange.json(200, Map.of("items", alerts.list(query), "counts", alerts.counts()));
    }

    private static long id(Exchange exchange) {
        try {
            return Long.parseLong(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "must be an alert id");
        }
    }
}
