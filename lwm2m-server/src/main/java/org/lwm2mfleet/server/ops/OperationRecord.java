package org.lwm2mfleet.server.ops;

import java.time.Instant;

/**
 * One line of a device's operation log.
 *
 * @param operation read, write, execute, create, delete, discover, write-attributes, observe, ...
 * @param target the path or paths it was about
 * @param requestedBy who asked (the API caller; later a user or a rule)
 * @param outcome success, or the problem type of the failure
 * @param detail the failure's sentence, or null
 * @param latencyMillis from the request to the device's answer (or the failure)
 */
public record OperationRecord(long id, String endpoint, String operation, String target, String requestedBy,
        Instant requestedAt, String outcome, String detail, long latencyMillis) {
}
