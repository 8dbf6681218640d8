package org.lwm2mfleet.server.auth;

import java.time.Instant;

/** A person who signs in; the password hash never leaves the auth room. */
public record User(String username, Role role, boolean mustChangePassword, boolean disabled, Instant createdAt,
        Instant lastLoginAt) {
}
