package org.lwm2mfleet.server.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/**
 * Maps method and path to a handler and the access rule its caller must meet. Templates name their parameters:
 * {@code /devices/{endpoint}} matches one path segment, {@code {path*}} the rest of the path. Routes are tried in
 * the order they were added. Each route carries the {@link AccessRule} its caller must meet: unless a route says
 * otherwise, the router's read rule for GET and its write rule for anything else; {@link #open} routes need no
 * credential at all. The rules are the access room's; the router only carries them.
 */
public final class Router {

    @FunctionalInterface
    public interface RouteHandler {
        void handle(Exchange exchange) throws Exception;
    }

    /**
     * A route as registered; {@code access} is null for an open route. {@code streamsBody}: the handler reads the
     * body itself as it arrives (a firmware image); every other route gets its body read in full, without holding a
     * thread, before it runs.
     */
    public record Route(String method, String template, AccessRule access, Pattern pattern, List<String> names,
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
    private final AccessRule readRule;
    private final AccessRule writeRule;

    /** @param readRule what a GET needs unless its route says otherwise; {@code writeRule}, every other method */
    public Router(AccessRule readRule, AccessRule writeRule) {
        this.readRule = java.util.Objects.requireNonNull(readRule);
        this.writeRule = java.util.Objects.requireNonNull(writeRule);
    }

    public Router get(String template, RouteHandler handler) {
        return add("GET", template, handler);
    }

    public Router get(String template, AccessRule access, RouteHandler handler) {
        return add("GET", template, access, handler);
    }

    public Router post(String template, AccessRule access, RouteHandler handler) {
        return add("POST", template, access, handler);
    }

    public Router put(String template, AccessRule access, RouteHandler handler) {
        return add("PUT", template, access, handler);
    }

    public Router delete(String template, AccessRule access, RouteHandler handler) {
        return add("DELETE", template, access, handler);
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
        routes.add(new Route(last.method(), last.template(), last.access(), last.pattern(), last.names(),
                last.handler(), true));
        return this;
    }

    public Router add(String method, String template, RouteHandler handler) {
        return add(method, template, method.equals("GET") ? readRule : writeRule, handler);
    }

    public Router add(String method, String template, AccessRule access, RouteHandler handler) {
        return register(method, template, java.util.Objects.requireNonNull(access), handler);
    }

    private Router register(String method, String template, AccessRule access, RouteHandler handler) {
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
        routes.add(new Route(method, template, access, Pattern.compile(regex.toString()), names, handler, false));
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
