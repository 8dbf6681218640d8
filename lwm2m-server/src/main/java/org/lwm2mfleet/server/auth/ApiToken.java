package org.lwm2mfleet.server.auth;

import java.time.Instant;

/** An integrator's token as listed: never the token itself, which is shown once when created. */
public record ApiToken(long id, String name, String owner, Role role, Instant createdAt, Instant expiresAt,
        Instant lastUsedAt) {
}
