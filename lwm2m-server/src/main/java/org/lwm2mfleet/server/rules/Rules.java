package org.lwm2mfleet.server.rules;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.store.Jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The rules and rule_firings tables: rules as their validated JSON definition, and every firing. */
public final class Rules {

    /**
     * A stored rule: its parsed form and the JSON it was given, with id, enabled and times added.
     */
    public record Stored(Rule rule, ObjectNode json) {

        /** The JSON for the API: webhook secrets are write-only, shown as {@code "secretSet": true}. */
        public ObjectNode publicJson() {
            ObjectNode copy = json.deepCopy();
            for (JsonNode action : copy.path("actions")) {
                if (action instanceof ObjectNode object && object.has("secret")) {
                    object.remove("secret");
                    object.put("secretSet", true);
                }
            }
            return copy;
        }
    }

    private final Jdbc jdbc;
    private final LwM2mModelRepository models;
    private final Clock clock;
    private final WebhookAddresses webhookAddresses;

    /** Rules whose webhooks may only call public addresses. */
    public Rules(Jdbc jdbc, LwM2mModelRepository models, Clock clock) {
        this(jdbc, models, clock, new WebhookAddresses(false));
    }

    /** @param webhookAddresses which addresses webhooks may call: checked at save and at each delivery */
    public Rules(Jdbc jdbc, LwM2mModelRepository models, Clock clock, WebhookAddresses webhookAddresses) {
        this.jdbc = jdbc;
        this.models = models;
        this.clock = clock;
        this.webhookAddresses = webhookAddresses;
    }

    WebhookAddresses webhookAddresses() {
        return webhookAddresses;
    }

    public Stored create(JsonNode definition) {
        Rule rule = Rule.parse(0, definition, models);
        webhookAddresses.check(rule);
        long id = jdbc.insert("INSERT INTO rules (name, enabled, definition, created_at, updated_at)"
                + " VALUES (?, ?, ?, ?, ?)", rule.name(), rule.enabled(), definition.toString(),
                Jdbc.timestamp(clock.instant()), Jdbc.timestamp(clock.instant()));
        return get(id);
    }

    public Stored replace(long id, JsonNode definition) {
        keepSecrets(get(id).json(), definition);
        Rule rule = Rule.parse(id, definition, models);
        webhookAddresses.check(rule);
        if (jdbc.update("UPDATE rules SET name = ?, enabled = ?, definition = ?, updated_at = ? WHERE id = ?",
                rule.name(), rule.enabled(), definition.toString(), Jdbc.timestamp(clock.instant()), id) == 0) {
            throw FleetException.notFound("no rule " + id);
        }
        return get(id);
    }

    /**
     * A webhook action given back without its secret (the API never shows it) keeps the secret it had, if it still
     * calls the same URL at the same place in the list.
     */
    private static void keepSecrets(JsonNode before, JsonNode after) {
        JsonNode oldActions = before.path("actions");
        JsonNode newActions = after.path("actions");
        for (int i = 0; i < newActions.size() && i < oldActions.size(); i++) {
            if (newActions.get(i) instanceof ObjectNode action && !action.hasNonNull("secret")
                    && "webhook".equals(action.path("type").asText())
                    && action.path("url").equals(oldActions.get(i).path("url"))
                    && oldActions.get(i).hasNonNull("secret")) {
                action.remove("secretSet");
                action.set("secret", oldActions.get(i).get("secret"));
            }
        }
    }

    public void delete(long id) {
        if (jdbc.update("DELETE FROM rules WHERE id = ?", id) == 0) {
            throw FleetException.notFound("no rule " + id);
        }
    }

    public Stored get(long id) {
        return jdbc.queryOne("SELECT * FROM rules WHERE id = ?", this::stored, id)
                .orElseThrow(() -> FleetException.notFound("no rule " + id));
    }

    public List<Stored> all() {
        return jdbc.query("SELECT * FROM rules ORDER BY id", this::stored);
    }

    /** @return the firing's id, to record the outcomes of its actions when they are known */
    long recordFiring(long ruleId, String endpoint, String state, Object value, List<Map<String, Object>> actions) {
        return jdbc.insert("INSERT INTO rule_firings (rule_id, endpoint, state, val, at, actions)"
                + " VALUES (?, ?, ?, ?, ?, ?)", ruleId, endpoint, state, Alerts.json(value),
                Jdbc.timestamp(clock.instant()), Alerts.json(actions));
    }

    void updateFiringActions(long firingId, List<Map<String, Object>> actions) {
        jdbc.update("UPDATE rule_firings SET actions = ? WHERE id = ?", Alerts.json(actions), firingId);
    }

    public List<Map<String, Object>> firings(long ruleId, int limit) {
        get(ruleId);
        return jdbc.query("SELECT * FROM rule_firings WHERE rule_id = ? ORDER BY id DESC LIMIT ?", row -> {
            Map<String, Object> firing = new java.util.LinkedHashMap<>();
            firing.put("id", row.getLong("id"));
            firing.put("ruleId", row.getLong("rule_id"));
            firing.put("endpoint", row.getString("endpoint"));
            firing.put("state", row.getString("state"));
            firing.put("value", Alerts.parseJson(row.getString("val")));
            firing.put("at", Jdbc.instant(row, "at"));
            firing.put("actions", Alerts.parseJson(row.getString("actions")));
            return firing;
        }, ruleId, limit);
    }

    private Stored stored(java.sql.ResultSet row) throws java.sql.SQLException {
        long id = row.getLong("id");
        try {
            ObjectNode json = (ObjectNode) Json.MAPPER.readTree(row.getString("definition"));
            json.put("id", id);
            json.put("enabled", row.getBoolean("enabled"));
            json.put("createdAt", Jdbc.instant(row, "created_at").toString());
            json.put("updatedAt", Jdbc.instant(row, "updated_at").toString());
            return new Stored(Rule.parse(id, json, models), json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("rule " + id + " holds invalid JSON", e);
        }
    }
}
