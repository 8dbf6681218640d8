package org.lwm2mfleet.server.lwm2m;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.leshan.core.link.LinkParseException;
import org.eclipse.leshan.core.link.LinkParser;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpoint;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpointsProvider;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Stands in front of Leshan's registration resource ({@code /rd}) and answers 4.00 Bad Request to the Register
 * and Update parameters Leshan does not check itself: it runs {@code Long.valueOf} on {@code lt} and
 * {@code BindingMode.parse} on {@code b}, so {@code lt=abc} or {@code b=X} escaped as exceptions and came back as
 * 5.00 with an ERROR stack trace; an empty {@code lt} or a valued {@code Q} got two answers; {@code sms} without a
 * value was an index error; a repeated parameter silently kept its last value; a lifetime of 0 was refused by our
 * authorizer as 4.03, which means "not allowed". Every well-formed request goes to Leshan unchanged, and a 4.00
 * that Leshan gives on its own (wrong message type, bad link format, invalid version) is counted and logged here
 * in the same way. 4.03 stays for refusals of the sender (credentials, endpoint binding; {@link FleetAuthorizer}).
 */
final class RegistrationGuard extends CoapResource {

    /** A lifetime is a positive 32-bit count of seconds (LwM2M 1.1, object 1 resource 1). */
    static final long MAX_LIFETIME_SECONDS = 0xFFFF_FFFFL;
    /**
     * Object links per Register or Update. Each becomes a row of the registry and an entry of every registration
     * copy; real devices announce tens. The byte limit (see {@link UplinkBodyLimits}) already bounds the parse.
     */
    static final int MAX_OBJECT_LINKS = 1_000;
    /** Parameters read by Leshan, of which a repeat is refused instead of letting the last one win. */
    private static final Set<String> SINGLE_REGISTER = Set.of("ep", "lt", "lwm2m", "b", "sms", "Q");
    private static final Set<String> SINGLE_UPDATE = Set.of("lt", "b", "sms");

    private final Resource leshan;
    private final LinkParser links;
    private final MalformedRequests malformed;

    private RegistrationGuard(Resource leshan, LinkParser links, MalformedRequests malformed) {
        super(leshan.getName());
        this.leshan = leshan;
        this.links = links;
        this.malformed = malformed;
        getAttributes().addResourceType("core.rd");
    }

    /**
     * Puts the guard in front of {@code /rd} and the body limits on every endpoint of {@code server}; call once,
     * after the server is built and before it starts.
     */
    static void install(LeshanServer server, LinkParser links, MeterRegistry meters, Clock clock) {
        MalformedRequests malformed = new MalformedRequests(meters, clock);
        for (var provider : server.getEndpointsProvider()) {
            if (provider instanceof CaliforniumServerEndpointsProvider californium) {
                Resource root = californium.getCoapServer().getRoot();
                Resource rd = root.getChild("rd");
                // Adding a resource of the same name replaces Leshan's; ours keeps it and delegates to it.
                root.add(new RegistrationGuard(rd, links, malformed));
            }
        }
        UplinkBodyLimits limits = new UplinkBodyLimits(malformed);
        for (var endpoint : server.getEndpoints()) {
            if (endpoint instanceof CaliforniumServerEndpoint californium) {
                californium.getCoapEndpoint().addInterceptor(limits);
            }
        }
    }

    /** Requests to {@code /rd/{registration id}} are Leshan's too. */
    @Override
    public Resource getChild(String name) {
        return this;
    }

    @Override
    public void handleRequest(Exchange exchange) {
        Request request = exchange.getRequest();
        List<String> path = path(request);
        String kind = request.getCode() == Code.DELETE ? "deregister"
                : path.size() == 1 ? "register" : "update";
        if (request.getCode() == Code.POST && path.size() <= 2) {
            Problem problem = path.size() == 1 ? checkRegister(request) : checkUpdate(request);
            if (problem != null) {
                Response answer = new Response(ResponseCode.BAD_REQUEST);
                answer.setPayload(problem.detail());
                answer.getOptions().setContentFormat(MediaTypeRegistry.TEXT_PLAIN);
                report(request, kind, problem); // first: counted by the time the device has the answer
                exchange.sendResponse(answer);
                return;
            }
        }
        leshan.handleRequest(exchange);
        Response answered = exchange.getResponse();
        // Leshan answers a declined Update with 4.00 "forbidden": FleetAuthorizer has reported that one already.
        if (answered != null && answered.getCode() == ResponseCode.BAD_REQUEST
                && !"forbidden".equals(answered.getPayloadString())) {
            report(request, kind, new Problem("invalid", answered.getPayloadString()));
        }
    }

    private record Problem(String reason, String detail) {
    }

    private Problem checkRegister(Request request) {
        Map<String, List<String>> query = query(request);
        Problem problem = common(query, SINGLE_REGISTER);
        if (problem != null) {
            return problem;
        }
        List<String> ep = query.get("ep");
        // No ep at all is allowed: Leshan then takes the name from the DTLS identity (LwM2M 1.1, 5.3.1).
        if (ep != null && (ep.get(0) == null || ep.get(0).isEmpty())) {
            return new Problem("endpoint", "endpoint name (ep) is empty");
        }
        List<String> queue = query.get("Q");
        if (queue != null && queue.get(0) != null) {
            return new Problem("queue-mode", "queue mode (Q) takes no value");
        }
        return objectLinks(request);
    }

    private Problem checkUpdate(Request request) {
        Problem problem = common(query(request), SINGLE_UPDATE);
        return problem != null ? problem : objectLinks(request);
    }

    /** What Register and Update share: no repeats, a lifetime, a binding, an SMS number. */
    private static Problem common(Map<String, List<String>> query, Set<String> single) {
        for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
            if (parameter.getValue().size() > 1 && single.contains(parameter.getKey())) {
                return new Problem("repeated", "parameter " + parameter.getKey() + " is given "
                        + parameter.getValue().size() + " times");
            }
        }
        List<String> lifetime = query.get("lt");
        if (lifetime != null && lifetime.get(0) == null) {
            return new Problem("lifetime", "lifetime (lt) has no value");
        }
        if (lifetime != null && !isLifetime(lifetime.get(0))) {
            return new Problem("lifetime", "lifetime (lt) '" + MalformedRequests.oneLine(lifetime.get(0))
                    + "' is not a whole number of seconds from 1 to " + MAX_LIFETIME_SECONDS);
        }
        List<String> binding = query.get("b");
        if (binding != null && binding.get(0) != null) {
            try {
                BindingMode.parse(binding.get(0));
            } catch (IllegalArgumentException e) {
                return new Problem("binding", "binding (b) '" + MalformedRequests.oneLine(binding.get(0))
                        + "' is not made of U, T, S, N, Q");
            }
        }
        List<String> sms = query.get("sms");
        if (sms != null && sms.get(0) == null) {
            return new Problem("sms", "SMS number (sms) has no value");
        }
        return null;
    }

    static boolean isLifetime(String value) {
        // Digits only: Long.valueOf would also take a sign. Ten digits hold every 32-bit value.
        if (value == null || value.isEmpty() || value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return false;
        }
        long seconds = Long.parseLong(value);
        return seconds >= 1 && seconds <= MAX_LIFETIME_SECONDS;
    }

    /**
     * More than {@link #MAX_OBJECT_LINKS} links need at least {@code 3 * MAX + 2} bytes ({@code <>} and a comma
     * each), so only payloads that long are parsed here, once more than Leshan will: a normal registration of a few
     * hundred bytes is parsed once.
     */
    private Problem objectLinks(Request request) {
        byte[] payload = request.getPayload();
        if (payload == null || payload.length < 3 * MAX_OBJECT_LINKS + 2) {
            return null;
        }
        int count;
        try {
            count = links.parseCoreLinkFormat(payload).length;
        } catch (LinkParseException e) {
            return null; // Leshan answers it (4.00, without quoting the payload: QuietLinkParser)
        }
        return count > MAX_OBJECT_LINKS
                ? new Problem("object-links", count + " object links, at most " + MAX_OBJECT_LINKS + " are accepted")
                : null;
    }

    /** Uri-Query options by name, in order; a value is null when the option has no '='. */
    private static Map<String, List<String>> query(Request request) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (String option : request.getOptions().getUriQueryStrings()) {
            int eq = option.indexOf('=');
            String name = eq < 0 ? option : option.substring(0, eq);
            query.computeIfAbsent(name, n -> new ArrayList<>()).add(eq < 0 ? null : option.substring(eq + 1));
        }
        return query;
    }

    private void report(Request request, String kind, Problem problem) {
        String endpoint = null;
        if ("register".equals(kind)) {
            List<String> ep = query(request).get("ep");
            endpoint = ep == null ? null : ep.get(0);
        } else if (path(request).size() == 2) {
            endpoint = "registration " + path(request).get(1);
        }
        malformed.report(kind, problem.reason(), peer(request), endpoint, problem.detail());
    }

    static List<String> path(Request request) {
        return request.getOptions().getUriPath().stream().map(o -> o.getStringValue()).toList();
    }

    static String peer(Request request) {
        InetSocketAddress address = request.getSourceContext().getPeerAddress();
        return address.getAddress().getHostAddress() + ":" + address.getPort()
                + (request.getSourceContext().getPeerIdentity() != null ? " (dtls)" : "");
    }
}
