package org.lwm2mfleet.server.api;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.lwm2mfleet.server.ops.Requester;
import org.lwm2mfleet.server.auth.AuditLog;
import org.lwm2mfleet.server.auth.Authenticator;
import org.lwm2mfleet.server.auth.Principal;
import org.lwm2mfleet.server.auth.Role;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches requests to the router's handlers and turns their failures into problem+json, after the access check:
 * who is calling (401 when nobody known), whether a browser request that changes state carries its session's CSRF
 * token, and whether the caller's role is enough for the route (403). The check comes before looking for the
 * target, so an answer never tells a stranger whether something exists. Every state-changing call by a known caller
 * goes to the audit log with its outcome. Paths under {@code /api/} that match nothing get a 404 problem; anything
 * else is left to the next handler (the console).
 */
public final class ApiHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    /** What a user holding a one-time password may still do: see who they are, change it, sign out. */
    private static final String SESSION_PATH = "/api/v1/session";

    private final Router router;
    private final int maxBodyBytes;
    private final Authenticator authenticator;
    private final AuditLog audit;

    public ApiHandler(Router router, int maxBodyBytes, Authenticator authenticator, AuditLog audit) {
        this.router = router;
        this.maxBodyBytes = maxBodyBytes;
        this.authenticator = authenticator;
        this.audit = audit;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        Router.Match match = router.match(request.getMethod(), path);
        if (match == null && !path.startsWith("/api/")) {
            return false;
        }
        boolean open = match != null && match.route() != null && match.route().role() == null;
        Principal principal = null;
        Callback done = callback;
        if (!open) {
            try {
                principal = authenticate(request);
                if (!SAFE_METHODS.contains(request.getMethod())) {
                    // Refusals of a known caller are audited too: they are attempts to change something.
                    done = audited(request, response, callback, principal, match);
                }
                authorize(request, principal, match);
            } catch (FleetException refused) {
                if (refused.type() == ProblemType.UNAUTHORIZED) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"lwm2m-fleet\"");
                }
                new Exchange(request, response, done, Map.of(), maxBodyBytes, principal).fail(refused);
                return true;
            } catch (RuntimeException failure) {
                // Tokens and sessions are looked up in the database: when it is down, a 503 problem, not Jetty's page.
                new Exchange(request, response, done, Map.of(), maxBodyBytes, principal).fail(failure);
                return true;
            }
        }
        Exchange exchange = new Exchange(request, response, done,
                match == null ? Map.of() : match.params(), maxBodyBytes, principal);
        if (match == null) {
            exchange.fail(FleetException.notFound("no such API path: " + path));
        } else if (match.handler() == null) {
            exchange.fail(new FleetException(ProblemType.METHOD_NOT_ALLOWED, null,
                    request.getMethod() + " is not allowed on " + path));
        } else {
            String requester = principal == null ? "anonymous" : principal.actor();
            Requester.as(requester, () -> {
                try {
                    match.handler().handle(exchange);
                } catch (Exception e) {
                    exchange.fail(e);
                }
                return null;
            });
        }
        return true;
    }

    /** The caller; a 401 problem when there is none. */
    private Principal authenticate(Request request) {
        return authenticator.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION), sessionCookie(request))
                .orElseThrow(() -> new FleetException(ProblemType.UNAUTHORIZED, null,
                        "sign in, or send an API token as 'Authorization: Bearer <token>'"));
    }

    /** Nothing when the caller may call this route; a 403 problem otherwise. */
    private void authorize(Request request, Principal principal, Router.Match match) {
        String sessionId = principal.sessionId();
        String path = Request.getPathInContext(request);
        if (principal.viaSession() && !SAFE_METHODS.contains(request.getMethod())) {
            Optional<String> expected = authenticator.csrfToken(sessionId);
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
        Role needed = match == null || match.route() == null ? Role.VIEWER : match.route().role();
        if (!principal.role().includes(needed)) {
            throw new FleetException(ProblemType.FORBIDDEN, null,
                    "this needs the " + needed.id() + " role; " + principal.actor() + " is " + principal.role().id());
        }
    }

    private Callback audited(Request request, Response response, Callback callback, Principal principal,
            Router.Match match) {
        String action = request.getMethod() + " "
                + (match != null && match.route() != null ? match.route().template() : "(unknown path)");
        String target = request.getHttpURI().getPath();
        String address = Request.getRemoteAddr(request);
        return new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                record(String.valueOf(response.getStatus()));
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                record("failed: " + x.getClass().getSimpleName());
                super.failed(x);
            }

            private void record(String outcome) {
                try {
                    audit.record(principal.actor(), action, target, outcome, address);
                } catch (RuntimeException e) {
                    LOG.error("audit entry lost: {} {} by {}: {}", action, target, principal.actor(), e.toString());
                }
            }
        };
    }

    static String sessionCookie(Request request) {
        for (HttpCookie cookie : Request.getCookies(request)) {
            if (cookie.getName().equals(Authenticator.SESSION_COOKIE)) {
                return cookie.getValue();
            }
        }
        return null;
    }
}
