package org.lwm2mfleet.server.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.lwm2mfleet.server.auth.Role;

/**
 * Maps method and path to a handler and the role it needs. Templates name their parameters:
 * {@code /devices/{endpoint}} matches one path segment, {@code {path*}} the rest of the path. Routes are tried in
 * the order they were added. Unless a route says otherwise, reading (GET) needs {@link Role#VIEWER} and anything
 * else {@link Role#OPERATOR}; {@link #open} routes need no credential at all.
 */
public final class Router {

    @FunctionalInterface
    public interface RouteHandler {
        void handle(Exchange exchange) throws Exception;
    }

    /**
     * A route as registered; {@code role} is null for an open route. {@code streamsBody}: the handler reads the
     * body itself as it arrives (a firmware image); every other route gets its body read in full, without holding a
     * thread, before it runs.
     */
    public record Route(String method, String template, Role role, Pattern pattern, List<String> names,
            RouteHandler handler, boolean streamsBody) {
    }

    /**
     * The handler, the path parameters and the route of a match; {@code handler} and {@code route} are null when
     * only the method was wrong.
     */
    public record Match(RouteHandler handler, Map<String, String> params, Route route) {
    }

    private static final Pattern PARAM = Pattern.compile("\\{(\\w+)(\\*?)}");

    private final List<Route> routes = new ArrayList<>();

    public Router get(String template, RouteHandler handler) {
        return add("GET", template, handler);
    }

    public Router get(String template, Role role, RouteHandler handler) {
        return add("GET", template, role, handler);
    }

    public Router post(String template, Role role, RouteHandler handler) {
        return add("POST", template, role, handler);
    }

    public Router put(String template, Role role, RouteHandler handler) {
        return add("PUT", template, role, handler);
    }

    public Router delete(String template, Role role, RouteHandler handler) {
        return add("DELETE", template, role, handler);
    }

    /** A route anyone may call, signed in or not: sign-in itself, health. */
    public Router open(String method, String template, RouteHandler handler) {
        return register(method, template, null, handler);
    }

    public Router post(String template, RouteHandler handler) {
        return add("POST", template, handler);
    }

    public Router put(String template, RouteHandler handler) {
        return add("PUT", template, handler);
    }

    public Router delete(String template, RouteHandler handler) {
        return add("DELETE", template, handler);
    }

    /** A route whose handler streams a body larger than the REST limit itself (reads {@code request()}). */
    public Router streaming(String method, String template, RouteHandler handler) {
        add(method, template, handler);
        Route last = routes.remove(routes.size() - 1);
        routes.add(new Route(last.method(), last.template(), last.role(), last.pattern(), last.names(),
                last.handler(), true));
        return this;
    }

    public Router add(String method, String template, RouteHandler handler) {
        return add(method, template, method.equals("GET") ? Role.VIEWER : Role.OPERATOR, handler);
    }

    public Router add(String method, String template, Role role, RouteHandler handler) {
        return register(method, template, java.util.Objects.requireNonNull(role), handler);
    }

    private Router register(String method, String template, Role role, RouteHandler handler) {
        StringBuilder regex = new StringBuilder();
        List<String> names = new ArrayList<>();
        Matcher m = PARAM.matcher(template);
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(last, m.start())));
            regex.append(m.group(2).isEmpty() ? "([^/]+)" : "(.+)");
            names.add(m.group(1));
            last = m.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        routes.add(new Route(method, template, role, Pattern.compile(regex.toString()), names, handler, false));
        return this;
    }

    /** Every route, in the order they are tried: what the access-control tests walk through. */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** The route for this request, a {@code Match} with a null handler for a known path and wrong method, or null. */
    public Match match(String method, String path) {
        boolean pathKnown = false;
        for (Route route : routes) {
            Matcher m = route.pattern().matcher(path);
            if (!m.matches()) {
                continue;
            }
            pathKnown = true;
            if (route.method().equals(method)) {
                Map<String, String> params = new LinkedHashMap<>();
                for (int i = 0; i < route.names().size(); i++) {
                    // Jetty has already decoded the path.
                    params.put(route.names().get(i), m.group(i + 1));
                }
                return new Match(route.handler(), params, route);
            }
        }
        return pathKnown ? new Match(null, Map.of(), null) : null;
    }
}
