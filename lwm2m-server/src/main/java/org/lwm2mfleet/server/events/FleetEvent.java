package org.lwm2mfleet.server.events;

import java.time.Instant;
import java.util.Map;

/**
 * Something that happened in the fleet, as integrators see it on the event stream.
 *
 * @param id increasing number, unique for the life of the server process (the SSE event id)
 * @param type what happened, e.g. {@code registered}; see {@link EventTypes}
 * @param endpoint the device concerned, or null
 * @param at when the server learnt of it
 * @param data the facts of the event, already in their JSON shape
 */
public record FleetEvent(long id, String type, String endpoint, Instant at, Map<String, Object> data) {
}
