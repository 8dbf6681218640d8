package org.lwm2mfleet.server.device;

import java.time.Instant;
import java.util.List;

/**
 * A device of the fleet: what was provisioned and its latest registration.
 *
 * @param registration null until the device registers the first time
 */
public record Device(String endpoint, String label, List<String> tags, Credentials credentials, DeviceStatus status,
        Instant createdAt, DeviceRegistration registration) {
}
