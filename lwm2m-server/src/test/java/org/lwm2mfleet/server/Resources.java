package org.lwm2mfleet.server;

import com.fasterxml.jackson.databind.JsonNode;

/** Finds a resource in the JSON of a read instance. */
final class Resources {

    private Resources() {
    }

    static JsonNode byPath(JsonNode instance, String path) {
        for (JsonNode resource : instance.get("resources")) {
            if (resource.get("path").asText().equals(path)) {
                return resource;
            }
        }
        throw new AssertionError("no resource " + path + " in " + instance);
    }
}
