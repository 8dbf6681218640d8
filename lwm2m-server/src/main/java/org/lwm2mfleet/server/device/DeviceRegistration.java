package org.lwm2mfleet.server.device;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The facts of a device's latest registration, kept after it goes offline.
 *
 * @param registrationId Leshan's registration id (the location the device updates)
 * @param lwm2mVersion e.g. 1.1
 * @param binding binding modes, e.g. U or UQ
 * @param queueMode whether the device said it sleeps between exchanges
 * @param lifetime how long the registration lasts without an update
 * @param objectLinks the object links as the device sent them (CoRE link format)
 * @param objects the object instances those links announce
 * @param peerAddress address and port the device talks from
 * @param securityMode how it authenticated: none, psk, rpk, x509
 * @param registeredAt when it registered
 * @param lastUpdate when it last registered or updated
 */
public record DeviceRegistration(String registrationId, String lwm2mVersion, String binding, boolean queueMode,
        Duration lifetime, String objectLinks, List<AnnouncedObject> objects, String peerAddress, String securityMode,
        Instant registeredAt, Instant lastUpdate) {

    /** One object (instance) a device announced. {@code instanceId} is null for an object without instances. */
    public record AnnouncedObject(int objectId, Integer instanceId, String version) {
    }
}
