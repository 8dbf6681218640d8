package org.lwm2mfleet.server.rules;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.store.Jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;

/** The alerts table: raised and cleared by rules, acknowledged by operators; every change goes on the event stream. */
public final class Alerts {

    /** Filters for {@link #list}; each is optional (null). */
    public record Query(String state, String severity, String endpoint, Long ruleId, Long before, int limit) {
    }

    private final Jdbc jdbc;
    private final EventBus events;
    private final Clock clock;

    public Alerts(Jdbc jdbc, EventBus events, Clock clock) {
        this.jdbc = jdbc;
        this.events = events;
        this.clock = clock;
    }

    /** Raises an alert, unless the rule already has an open one for the device: one alert per episode. */
    Optional<Alert> raise(Rule rule, String endpoint, String severity, String message, Object value) {
        if (jdbc.queryOne("SELECT id FROM alerts WHERE rule_id = ? AND endpoint = ? AND cleared_at IS NULL",
                row -> row.getLong("id"), rule.id(), endpoint).isPresent()) {
            return Optional.empty();
        }
        String text = message != null ? message : defaultMessage(rule, value);
        long id = jdbc.insert("INSERT INTO alerts (rule_id, rule_name, endpoint, severity, message, val, raised_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)", rule.id(), rule.name(), endpoint, severity, text, json(value),
                Jdbc.timestamp(clock.instant()));
        Alert alert = get(id);
        publish(alert, "raised");
        return Optional.of(alert);
    }

    /** Clears the rule's open alerts for the device. */
    List<Alert> clear(long ruleId, String endpoint) {
        List<Long> open = jdbc.query("SELECT id FROM alerts WHERE rule_id = ? AND endpoint = ? AND cleared_at IS NULL",
                row -> row.getLong("id"), ruleId, endpoint);
        List<Alert> cleared = new ArrayList<>();
        for (long id : open) {
            if (jdbc.update("UPDATE alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL",
                    Jdbc.timestamp(clock.instant()), id) == 1) {
                Alert alert = get(id);
                publish(alert, "cleared");
                cleared.add(alert);
            }
        }
        return cleared;
    }

    public Alert acknowledge(long id, String by) {
        Alert alert = get(id);
        if (alert.acknowledgedAt() != null) {
            throw new FleetException(ProblemType.CONFLICT, null, "alert " + id + " was acknowledged by "
                    + alert.acknowledgedBy() + " at " + alert.acknowledgedAt());
        }
        jdbc.update("UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
                Jdbc.timestamp(clock.instant()), by, id);
        Alert acknowledged = get(id);
        publish(acknowledged, "acknowledged");
        return acknowledged;
    }

    public Alert get(long id) {
        return jdbc.queryOne("SELECT * FROM alerts WHERE id = ?", Alerts::map, id)
                .orElseThrow(() -> FleetException.notFound("no alert " + id));
    }

    /** Newest first. State: {@code active} (not cleared), {@code cleared}, {@code unacknowledged}. */
    public List<Alert> list(Query query) {
        StringBuilder sql = new StringBuilder("SELECT * FROM alerts WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (query.state() != null) {
            sql.append(switch (query.state()) {
            case "active" -> " AND cleared_at IS NULL";
            case "cleared" -> " AND cleared_at IS NOT NULL";
            case "unacknowledged" -> " AND acknowledged_at IS NULL";
            default -> throw FleetException.invalid("state", "must be active, cleared or unacknowledged, was '"
                    + query.state() + "'");
            });
        }
        if (query.severity() != null) {
            if (!Rule.SEVERITIES.contains(query.severity())) {
                throw FleetException.invalid("severity", "must be critical, major, minor, warning or info");
            }
            sql.append(" AND severity = ?");
            params.add(query.severity());
        }
        if (query.endpoint() != null) {
            sql.append(" AND endpoint = ?");
            params.add(query.endpoint());
        }
        if (query.ruleId() != null) {
            sql.append(" AND rule_id = ?");
            params.add(query.ruleId());
        }
        if (query.before() != null) {
            sql.append(" AND id < ?");
            params.add(query.before());
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        params.add(query.limit());
        return jdbc.query(sql.toString(), Alerts::map, params.toArray());
    }

    /** How many alerts are active, how many wait for acknowledgement, and the active ones by severity. */
    public Map<String, Object> counts() {
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("active", jdbc.queryOne("SELECT COUNT(*) n FROM alerts WHERE cleared_at IS NULL",
                row -> row.getLong("n")).orElse(0L));
        counts.put("unacknowledged", jdbc.queryOne("SELECT COUNT(*) n FROM alerts WHERE acknowledged_at IS NULL",
                row -> row.getLong("n")).orElse(0L));
        Map<String, Long> bySeverity = new LinkedHashMap<>();
        for (String severity : List.of("critical", "major", "minor", "warning", "info")) {
            bySeverity.put(severity, 0L);
        }
        jdbc.query("SELECT severity, COUNT(*) n FROM alerts WHERE cleared_at IS NULL GROUP BY severity",
                row -> bySeverity.put(row.getString("severity"), row.getLong("n")));
        counts.put("activeBySeverity", bySeverity);
        return counts;
    }

    private void publish(Alert alert, String state) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", alert.id());
        data.put("state", state);
        data.put("severity", alert.severity());
        data.put("message", alert.message());
        data.put("ruleId", alert.ruleId());
        data.put("rule", alert.ruleName());
        data.put("value", alert.value());
        events.publish(EventTypes.ALERT, alert.endpoint(), data);
    }

    private static String defaultMessage(Rule rule, Object value) {
        return rule.name() + ": " + rule.trigger().path() + " " + rule.trigger().condition().id()
                + (value == null ? "" : " (" + value + ")");
    }

    static String json(Object value) {
        try {
            return value == null ? null : Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Object parseJson(String text) {
        try {
            return text == null ? null : Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return text; // written before values were stored as JSON
        }
    }

    private static Alert map(java.sql.ResultSet row) throws java.sql.SQLException {
        long ruleId = row.getLong("rule_id");
        return new Alert(row.getLong("id"), row.wasNull() ? null : ruleId, row.getString("rule_name"),
                row.getString("endpoint"), row.getString("severity"), row.getString("message"),
                parseJson(row.getString("val")), Jdbc.instant(row, "raised_at"), Jdbc.instant(row, "cleared_at"),
                Jdbc.instant(row, "acknowledged_at"), row.getString("acknowledged_by"));
    }
}
