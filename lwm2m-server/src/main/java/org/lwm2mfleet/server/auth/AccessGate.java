package org.lwm2mfleet.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.lwm2mfleet.server.api.Caller;
import org.lwm2mfleet.server.api.Gate;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;

/**
 * The access room's check in front of the REST routes: who is calling (a token, else a session cookie; 401 when
 * nobody known), whether a browser request that changes state carries its session's CSRF token, whether a user
 * holding a one-time password only changes it, and whether the caller's role is enough for the route (403).
 * State-changing calls go to the audit log.
 */
public final class AccessGate implements Gate {

    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    /** What a user holding a one-time password may still do: see who they are, change it, sign out. */
    private static final String SESSION_PATH = "/api/v1/session";

    private final Authenticator authenticator;
    private final AuditLog audit;

    public AccessGate(Authenticator authenticator, AuditLog audit) {
        this.authenticator = authenticator;
        this.audit = audit;
    }

    @Override
    public Caller identify(Request request) {
        return authenticator.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION), sessionCookie(request))
                .orElseThrow(() -> new FleetException(ProblemType.UNAUTHORIZED, null,
                        "sign in, or send an API token as 'Authorization: Bearer <token>'"));
    }

    @Override
    public void authorize(Request request, Caller caller, Router.Route route) {
        Principal principal = (Principal) caller; // identify() made it
        String path = Request.getPathInContext(request);
        if (principal.viaSession() && !SAFE_METHODS.contains(request.getMethod())) {
            Optional<String> expected = authenticator.csrfToken(principal.sessionId());
            String sent = request.getHeaders().get(CSRF_HEADER);
            if (expected.isEmpty() || sent == null || !MessageDigest.isEqual(
                    expected.get().getBytes(StandardCharsets.UTF_8), sent.getBytes(StandardCharsets.UTF_8))) {
                throw new FleetException(ProblemType.FORBIDDEN, CSRF_HEADER,
                        "a browser request that changes something must carry the session's " + CSRF_HEADER
                                + " header");
            }
        }
        if (principal.mustChangePassword() && !path.startsWith(SESSION_PATH)) {
            throw new FleetException(ProblemType.PASSWORD_CHANGE_REQUIRED, "newPassword",
                    "this is a one-time password: change it with POST " + SESSION_PATH + "/password first");
        }
        // Unknown paths and wrong methods need a viewer: enough to learn that a path does not exist.
        Role needed = route == null ? Role.VIEWER : (Role) route.access();
        if (!principal.role().includes(needed)) {
            throw new FleetException(ProblemType.FORBIDDEN, null,
                    "this needs the " + needed.id() + " role; " + principal.actor() + " is " + principal.role().id());
        }
    }

    @Override
    public void record(Caller caller, String action, String target, String outcome, String address) {
        audit.record(caller.actor(), action, target, outcome, address);
    }

    /** The session cookie's value, or null. */
    static String sessionCookie(Request request) {
        for (org.eclipse.jetty.http.HttpCookie cookie : Request.getCookies(request)) {
            if (cookie.getName().equals(Authenticator.SESSION_COOKIE)) {
                return cookie.getValue();
            }
        }
        return null;
    }
}
