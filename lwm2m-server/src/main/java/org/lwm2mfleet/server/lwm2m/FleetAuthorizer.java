package org.lwm2mfleet.server.lwm2m;

import java.util.Map;

import org.eclipse.leshan.core.endpoint.EndpointUri;
import org.eclipse.leshan.core.peer.LwM2mPeer;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.core.request.UplinkRequest;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.security.Authorizer;
import org.eclipse.leshan.server.security.DefaultAuthorizer;
import org.eclipse.leshan.servers.security.Authorization;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Decides whether an uplink request may go through. Leshan's {@link DefaultAuthorizer} already binds the endpoint
 * name to the authenticated DTLS identity (PSK identity, RPK, certificate CN); on top of that, a registration over
 * plain CoAP is refused unless the endpoint was provisioned without security or unknown devices are allowed (demo).
 * Each refusal is logged once, counted and published.
 */
public final class FleetAuthorizer implements Authorizer {

    private static final Logger LOG = LoggerFactory.getLogger(FleetAuthorizer.class);

    private final DefaultAuthorizer leshanChecks;
    private final FleetSecurityStore store;
    private final boolean allowUnknownCoap;
    private final MeterRegistry meters;
    private final EventBus events;

    public FleetAuthorizer(FleetSecurityStore store, boolean allowUnknownCoap, MeterRegistry meters,
            EventBus events) {
        this.leshanChecks = new DefaultAuthorizer(store);
        this.store = store;
        this.allowUnknownCoap = allowUnknownCoap;
        this.meters = meters;
        this.events = events;
    }

    @Override
    public Authorization isAuthorized(UplinkRequest<?> request, Registration registration, LwM2mPeer sender,
            EndpointUri endpointUri) {
        // Malformed parameters (a lifetime out of range...) never get here: RegistrationGuard answers them 4.00.
        String endpoint = registration.getEndpoint();
        if (request instanceof RegisterRequest && DeviceService.endpointProblem(endpoint) != null) {
            // The name REST would refuse: stored, it could never be addressed or deleted over REST.
            return refuse(request, endpoint, sender, "endpoint name " + DeviceService.endpointProblem(endpoint));
        }
        if (request instanceof RegisterRequest && !sender.getIdentity().isSecure() && !allowUnknownCoap
                && !store.isProvisionedWithoutSecurity(endpoint)) {
            return refuse(request, endpoint, sender, store.isKnown(endpoint)
                    ? "provisioned with DTLS credentials but came over plain CoAP"
                    : "unknown endpoint over plain CoAP");
        }
        Authorization decision = leshanChecks.isAuthorized(request, registration, sender, endpointUri);
        if (decision.isDeclined()) {
            return refuse(request, endpoint, sender, store.isKnown(endpoint)
                    ? "credentials do not belong to this endpoint"
                    : "unknown endpoint");
        }
        return decision;
    }

    private Authorization refuse(UplinkRequest<?> request, String endpoint, LwM2mPeer sender, String reason) {
        String kind = request.getClass().getSimpleName().replace("Request", "").toLowerCase();
        String peer = PeerAddress.of(sender);
        LOG.warn("{} refused endpoint={} peer={} security={} reason={}", kind, endpoint, peer,
                PeerAddress.securityMode(sender), reason);
        meters.counter("lwm2m.registrations.refused", "request", kind).increment();
        events.publish(EventTypes.AUTHENTICATION_FAILED, endpoint,
                Map.of("peer", peer, "reason", reason, "request", kind));
        return Authorization.declined();
    }
}
