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
                e -> e.json(200, alerts.acknowledge(id(e), e.principal().actor())));
    }

    private void list(Exchange exchange) {
        int limit = exchange.queryInt("limit", 100);
        if (limit < 1 || limit > 1000) {
            throw FleetException.invalid("limit", "must be between 1 and 1000");
        }
        Alerts.Query query = new Alerts.Query(exchange.query("state"), exchange.query("severity"),
                exchange.query("endpoint"), longParam(exchange, "ruleId"), longParam(exchange, "before"), limit);
        exchange.json(200, Map.of("items", alerts.list(query), "counts", alerts.counts()));
    }

    private static Long longParam(Exchange exchange, String name) {
        String text = exchange.query(name);
        if (text == null) {
            return null;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw FleetException.invalid(name, "must be a number, was '" + text + "'");
        }
    }

    private static long id(Exchange exchange) {
        try {
            return Long.parseLong(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "must be an alert id");
        }
    }
}
