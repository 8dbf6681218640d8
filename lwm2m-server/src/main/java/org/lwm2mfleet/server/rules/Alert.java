package org.lwm2mfleet.server.rules;

import java.time.Instant;

/**
 * An alert a rule raised for a device: open until the rule clears it, waiting until an operator acknowledges it.
 *
 * @param ruleId null once the rule was deleted (the alert keeps its name)
 * @param value the reported value that raised it, as JSON text, or null (a silent device reported none)
 */
public record Alert(long id, Long ruleId, String ruleName, String endpoint, String severity, String message,
        Object value, Instant raisedAt, Instant clearedAt, Instant acknowledgedAt, String acknowledgedBy) {
}
