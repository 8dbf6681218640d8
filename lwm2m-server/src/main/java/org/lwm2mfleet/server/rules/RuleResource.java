package org.lwm2mfleet.server.rules;

import java.util.Map;

import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;

/** REST for rules: {@code /api/v1/rules} and each rule's firing history. */
public final class RuleResource {

    private final Rules rules;
    private final RuleEngine engine;

    public RuleResource(Rules rules, RuleEngine engine) {
        this.rules = rules;
        this.engine = engine;
    }

    public void register(Router router) {
        router.get("/api/v1/rules", e -> e.json(200, Map.of("items", rules.all().stream().map(Rules.Stored::publicJson)
                .toList())));
        router.post("/api/v1/rules", this::create);
        router.get("/api/v1/rules/{id}", e -> e.json(200, rules.get(id(e)).publicJson()));
        router.put("/api/v1/rules/{id}", e -> {
            Rules.Stored stored = rules.replace(id(e), e.bodyJson());
            engine.reload();
            e.json(200, stored.publicJson());
        });
        router.delete("/api/v1/rules/{id}", e -> {
            rules.delete(id(e));
            engine.reload();
            e.noContent();
        });
        router.get("/api/v1/rules/{id}/firings", e -> {
            int limit = e.queryInt("limit", 100);
            if (limit < 1 || limit > 1000) {
                throw FleetException.invalid("limit", "must be between 1 and 1000");
            }
            e.json(200, Map.of("items", rules.firings(id(e), limit)));
        });
    }

    private void create(Exchange exchange) {
        Rules.Stored stored = rules.create(exchange.bodyJson());
        engine.reload();
        exchange.response().getHeaders().put("Location", "/api/v1/rules/" + stored.rule().id());
        exchange.json(201, stored.publicJson());
    }

    private static long id(Exchange exchange) {
        try {
            return Long.parseLong(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "must be a rule id");
        }
    }
}
