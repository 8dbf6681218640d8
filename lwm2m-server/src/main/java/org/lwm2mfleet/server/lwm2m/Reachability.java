package org.lwm2mfleet.server.lwm2m;

import java.util.function.Predicate;

import org.eclipse.leshan.server.queue.PresenceService;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationService;

/**
 * Whether a request sent to a device now would reach it: the device is registered and, in queue mode, awake. A
 * sleeping device is not unreachable for ever; callers that can wait (a campaign) try it again when it is back.
 */
public final class Reachability implements Predicate<String> {

    private final RegistrationService registrations;
    private final PresenceService presence;

    public Reachability(RegistrationService registrations, PresenceService presence) {
        this.registrations = registrations;
        this.presence = presence;
    }

    @Override
    public boolean test(String endpoint) {
        Registration registration = registrations.getByEndpoint(endpoint);
        return registration != null && (!registration.usesQueueMode() || presence.isClientAwake(registration));
    }
}
