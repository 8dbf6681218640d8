package org.lwm2mfleet.server.auth;

import java.util.Optional;

/** Tells who a request comes from: an {@code Authorization: Bearer} token, else a session cookie. */
public final class Authenticator {

    public static final String SESSION_COOKIE = "fleet_session";

    private final ApiTokens tokens;
    private final Sessions sessions;

    public Authenticator(ApiTokens tokens, Sessions sessions) {
        this.tokens = tokens;
        this.sessions = sessions;
    }

    /**
     * @param authorization the Authorization header, or null
     * @param sessionId the session cookie's value, or null
     */
    public Optional<Principal> authenticate(String authorization, String sessionId) {
        if (authorization != null) {
            // A request that presents a token stands or falls by it, whatever cookie the browser adds.
            String[] parts = authorization.strip().split("\\s+", 2);
            return parts.length == 2 && parts[0].equalsIgnoreCase("Bearer") ? tokens.authenticate(parts[1])
                    : Optional.empty();
        }
        return sessions.touch(sessionId).map(Sessions.Session::principal);
    }

    /** The CSRF token of a session, which every state-changing browser request must echo in a header. */
    public Optional<String> csrfToken(String sessionId) {
        return sessions.touch(sessionId).map(Sessions.Session::csrfToken);
    }
}
