package org.lwm2mfleet.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.store.Jdbc;

/**
 * Integrators' bearer tokens: 256 random bits shown once, stored as their SHA-256, with a role no higher than
 * their creator's, an optional expiry and the time they were last used. Revoking deletes the row.
 */
public final class ApiTokens {

    /** Lets a leaked token be recognised in logs and by secret scanners. */
    static final String PREFIX = "lwf_";
    /** Last-used times are written at most this often per token, not on every call. */
    private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    /** A new token and the only time its secret is seen. */
    public record Created(ApiToken token, String secret) {
    }

    private final Jdbc jdbc;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<Long, Instant> lastUsedWritten = new ConcurrentHashMap<>();

    public ApiTokens(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public Created create(String owner, String name, Role role, Instant expiresAt) {
        if (name == null || name.isBlank() || name.length() > 128) {
            throw FleetException.invalid("name", "1 to 128 characters");
        }
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            throw FleetException.invalid("expiresAt", "must be in the future");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        long id = jdbc.insert("INSERT INTO api_tokens (name, owner, role, token_hash, created_at, expires_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)", name, owner, role.name(), hash(secret),
                Jdbc.timestamp(clock.instant()), Jdbc.timestamp(expiresAt));
        return new Created(get(id), secret);
    }

    /**
     * The caller a bearer token stands for, or empty when the token is unknown, expired, or its owner is disabled.
     * The role is the lower of the token's and its owner's current role.
     */
    public Optional<Principal> authenticate(String secret) {
        if (secret == null || !secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Optional<TokenOwner> found = jdbc.queryOne("SELECT t.id, t.name, t.owner, t.role, t.expires_at,"
                + " u.role AS owner_role, u.disabled FROM api_tokens t JOIN users u ON u.username = t.owner"
                + " WHERE t.token_hash = ?", row -> new TokenOwner(row.getLong("id"), row.getString("name"),
                        row.getString("owner"), Role.min(Role.valueOf(row.getString("role")),
                                Role.valueOf(row.getString("owner_role"))),
                        Jdbc.instant(row, "expires_at"), row.getBoolean("disabled")),
                hash(secret));
        if (found.isEmpty() || found.get().disabled()
                || (found.get().expiresAt() != null && !found.get().expiresAt().isAfter(now))) {
            return Optional.empty();
        }
        TokenOwner token = found.get();
        touch(token.id(), now);
        return Optional.of(new Principal(token.owner(), token.role(), token.name(), null, false));
    }

    private record TokenOwner(long id, String name, String owner, Role role, Instant expiresAt, boolean disabled) {
    }

    public List<ApiToken> all() {
        return jdbc.query("SELECT * FROM api_tokens ORDER BY id", ApiTokens::token);
    }

    public List<ApiToken> ownedBy(String owner) {
        return jdbc.query("SELECT * FROM api_tokens WHERE owner = ? ORDER BY id", ApiTokens::token, owner);
    }

    public ApiToken get(long id) {
        return jdbc.queryOne("SELECT * FROM api_tokens WHERE id = ?", ApiTokens::token, id)
                .orElseThrow(() -> FleetException.notFound("no token " + id));
    }

    public void revoke(long id) {
        if (jdbc.update("DELETE FROM api_tokens WHERE id = ?", id) == 0) {
            throw FleetException.notFound("no token " + id);
        }
        lastUsedWritten.remove(id);
    }

    private void touch(long id, Instant now) {
        Instant written = lastUsedWritten.get(id);
        if (written == null || written.plus(LAST_USED_RESOLUTION).isBefore(now)) {
            lastUsedWritten.put(id, now);
            jdbc.update("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", Jdbc.timestamp(now), id);
        }
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static ApiToken token(ResultSet row) throws SQLException {
        return new ApiToken(row.getLong("id"), row.getString("name"), row.getString("owner"),
                Role.valueOf(row.getString("role")), Jdbc.instant(row, "created_at"), Jdbc.instant(row, "expires_at"),
                Jdbc.instant(row, "last_used_at"));
    }
}
