package org.lwm2mfleet.server.api;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;
import org.lwm2mfleet.server.runtime.Requester;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches requests to the router's handlers and turns their failures into problem+json, after the access check
 * of the {@link Gate} (who is calling, and whether they may call the route). The check comes before looking for the
 * target, so an answer never tells a stranger whether something exists. Every state-changing call by a known caller
 * goes to the gate's record with its outcome. Paths under {@code /api/} that match nothing get a 404 problem; anything
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
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final Router router;
    private final int maxBodyBytes;
    private final Gate gate;
    private final java.time.Duration readTimeout;

    public ApiHandler(Router router, int maxBodyBytes, Gate gate, java.time.Duration readTimeout) {
        this.readTimeout = readTimeout;
        this.router = router;
        this.maxBodyBytes = maxBodyBytes;
        this.gate = gate;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        Router.Match match = router.match(request.getMethod(), path);
        if (match == null && !path.startsWith("/api/")) {
            return false;
        }
        boolean open = match != null && match.route() != null && match.route().access() == null;
        Caller caller = null;
        Callback done = callback;
        if (!open) {
            try {
                caller = gate.identify(request);
                if (!SAFE_METHODS.contains(request.getMethod())) {
                    // Refusals of a known caller are recorded too: they are attempts to change something.
                    done = recorded(request, response, callback, caller, match);
                }
                gate.authorize(request, caller, match == null ? null : match.route());
            } catch (FleetException refused) {
                if (refused.type() == ProblemType.UNAUTHORIZED) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"lwm2m-fleet\"");
                }
                new Exchange(request, response, done, Map.of(), maxBodyBytes, caller).fail(refused);
                return true;
            } catch (RuntimeException failure) {
                // Tokens and sessions are looked up in the database: when it is down, a 503 problem, not Jetty's page.
                new Exchange(request, response, done, Map.of(), maxBodyBytes, caller).fail(failure);
                return true;
            }
        }
        Exchange exchange = new Exchange(request, response, done,
                match == null ? Map.of() : match.params(), maxBodyBytes, caller);
        if (match == null) {
            exchange.fail(FleetException.notFound("no such API path: " + path));
        } else if (match.handler() == null) {
            exchange.fail(new FleetException(ProblemType.METHOD_NOT_ALLOWED, null,
                    request.getMethod() + " is not allowed on " + path));
        } else {
            String requester = caller == null ? "anonymous" : caller.actor();
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

    private Callback recorded(Request request, Response response, Callback callback, Caller caller,
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
                    gate.record(caller, action, target, outcome, address);
                } catch (RuntimeException e) {
                    LOG.error("audit entry lost: {} {} by {}: {}", action, target, caller.actor(), e.toString());
                }
            }
        };
    }
}
