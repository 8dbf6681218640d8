package org.lwm2mfleet.server.device;

import java.util.List;

/** What an integrator provisions: the endpoint name, its credentials, tags and a free-form label. */
public record NewDevice(String endpoint, Credentials credentials, List<String> tags, String label) {
}
