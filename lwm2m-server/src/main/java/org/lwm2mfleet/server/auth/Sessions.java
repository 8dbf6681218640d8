package org.lwm2mfleet.server.auth;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Browser sessions, in memory: a random id in an HttpOnly cookie, a CSRF token the console sends back in a header,
 * an idle and an absolute expiry. A restart signs everyone out, which is acceptable for a console and keeps session
 * secrets out of the database.
 */
public final class Sessions {

    /** One signed-in browser. */
    public record Session(String id, String username, Role role, String csrfToken, boolean mustChangePassword,
            Instant createdAt, Instant lastSeen) {

        Session seen(Instant now) {
            return new Session(id, username, role, csrfToken, mustChangePassword, createdAt, now);
        }

        public Principal principal() {
            return new Principal(username, role, null, id, mustChangePassword);
        }
    }

    private final Clock clock;
    private final Duration idleTimeout;
    private final Duration maxAge;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    public Sessions(Clock clock, Duration idleTimeout, Duration maxAge) {
        this.clock = clock;
        this.idleTimeout = idleTimeout;
        this.maxAge = maxAge;
    }

    public Session start(User user) {
        Instant now = clock.instant();
        expireOld(now);
        Session session = new Session(randomToken(), user.username(), user.role(), randomToken(),
                user.mustChangePassword(), now, now);
        sessions.put(session.id(), session);
        return session;
    }

    /** The live session with this id, its idle time restarted; empty when unknown or expired. */
    public Optional<Session> touch(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Session session = sessions.computeIfPresent(id, (key, s) -> expired(s, now) ? null : s.seen(now));
        return Optional.ofNullable(session);
    }

    public void end(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    /** Signs a user out everywhere: their role, password or account changed. */
    public void endAllOf(String username) {
        sessions.values().removeIf(s -> s.username().equals(username));
    }

    public Duration maxAge() {
        return maxAge;
    }

    private boolean expired(Session session, Instant now) {
        return session.lastSeen().plus(idleTimeout).isBefore(now) || session.createdAt().plus(maxAge).isBefore(now);
    }

    private void expireOld(Instant now) {
        sessions.values().removeIf(s -> expired(s, now));
    }

    private String randomToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
