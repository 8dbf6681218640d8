package org.lwm2mfleet.server.api;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;
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
 *
 * <p>A route's body is read in full before the route runs, asynchronously: a client sending it slowly holds no
 * thread while it does, only its connection (of which one address may hold few, see
 * {@link PerAddressConnectionLimit}). The read ends in a 408 problem when the body has not arrived within the read
 * timeout, or arrives slower than the minimum data rate (Jetty's {@code MinimumDataRateHandler} around this one
 * fails it).
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
    private final java.time.Duration readTimeout;

    public ApiHandler(Router router, int maxBodyBytes, Authenticator authenticator, AuditLog audit,
            java.time.Duration readTimeout) {
        this.readTimeout = readTimeout;
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
            Runnable route = () -> Requester.as(requester, () -> {
                try {
                    match.handler().handle(exchange);
                } catch (Exception e) {
                    exchange.fail(e);
                }
                return null;
            });
            if (match.route().streamsBody() || request.getLength() == 0) {
                route.run();
            } else {
                readBodyThen(request, exchange, route);
            }
        }
        return true;
    }

    /**
     * Reads the whole body without blocking, then runs the route on a pool thread (the route may block on the
     * database). One of three things happens once: the route runs, the body is refused (413, 408), or the deadline
     * passes first (408).
     */
    private void readBodyThen(Request request, Exchange exchange, Runnable route) {
        if (request.getLength() > maxBodyBytes) {
            exchange.fail(exchange.tooLarge());
            return;
        }
        AtomicBoolean settled = new AtomicBoolean();
        Scheduler.Task deadline = request.getComponents().getScheduler().schedule(() -> {
            if (settled.compareAndSet(false, true)) {
                exchange.fail(new FleetException(ProblemType.REQUEST_TIMEOUT, "body",
                        "the body did not arrive within " + readTimeout.toSeconds() + " s"));
            }
        }, readTimeout.toMillis(), TimeUnit.MILLISECONDS);
        Content.Source.asByteArrayAsync(request, maxBodyBytes, Promise.Invocable.from(
                Invocable.InvocationType.BLOCKING, (byte[] bytes, Throwable failure) -> {
                    if (!settled.compareAndSet(false, true)) {
                        return;
                    }
                    deadline.cancel();
                    if (failure == null) {
                        exchange.body(bytes);
                        route.run();
                    } else {
                        exchange.fail(bodyFailure(exchange, failure));
                    }
                }));
    }

    private static FleetException bodyFailure(Exchange exchange, Throwable failure) {
        if (failure instanceof IllegalStateException) {
            // What Jetty's accumulator throws past the size it was given.
            return exchange.tooLarge();
        }
        if (failure instanceof TimeoutException) {
            // Jetty's MinimumDataRateHandler, or the connection's idle timeout.
            return new FleetException(ProblemType.REQUEST_TIMEOUT, "body", "the body arrived too slowly");
        }
        return new FleetException(ProblemType.INVALID_INPUT, "body", "the body could not be read");
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
