package org.lwm2mfleet.server.api;

import java.util.Map;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;

/**
 * Dispatches requests to the router's handlers and turns their failures into problem+json. Paths under
 * {@code /api/} that match nothing get a 404 problem; anything else is left to the next handler (the console).
 */
public final class ApiHandler extends Handler.Abstract {

    private final Router router;
    private final int maxBodyBytes;

    public ApiHandler(Router router, int maxBodyBytes) {
        this.router = router;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        Router.Match match = router.match(request.getMethod(), path);
        if (match == null && !path.startsWith("/api/")) {
            return false;
        }
        Exchange exchange = new Exchange(request, response, callback, match == null ? Map.of() : match.params(),
                maxBodyBytes);
        if (match == null) {
            exchange.fail(FleetException.notFound("no such API path: " + path));
        } else if (match.handler() == null) {
            exchange.fail(new FleetException(ProblemType.METHOD_NOT_ALLOWED, null,
                    request.getMethod() + " is not allowed on " + path));
        } else {
            try {
                match.handler().handle(exchange);
            } catch (Exception e) {
                exchange.fail(e);
            }
        }
        return true;
    }
}
