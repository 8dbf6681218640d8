package org.lwm2mfleet.server.device;

/** The protocol side's live registrations, as far as the registry needs them: deleting a device ends its session. */
public interface LiveRegistrations {

    /** Forgets the device's current registration, if any; it has to register again (and will be refused). */
    void drop(String endpoint);
}
