package org.lwm2mfleet.server.auth;

import java.time.Instant;

/**
 * One state-changing action: who did it, what, to what, and how it ended.
 *
 * @param outcome the HTTP status of the answer, or a word such as {@code failed} for a refused sign-in
 * @param attempts how many attempts the entry stands for: 1, except for sign-ins refused while locked, which are
 *        counted per address and minute ({@code at} is the first of them)
 */
public record AuditEntry(long id, Instant at, String actor, String action, String target, String outcome,
        String address, int attempts) {
}
