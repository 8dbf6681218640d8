package org.lwm2mfleet.server.ops;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An operation as the REST API received it, in a form that can be run now or stored and run when a sleeping device
 * wakes: the same request gives the same LwM2M request either way.
 *
 * @param operation read, write, write-partial, execute, create, delete, discover, write-attributes, read-composite,
 *        write-composite
 * @param path the object path, or null for composite operations
 * @param body the JSON body, or null
 * @param format the content format asked for, or null
 * @param requestedBy who asked (see {@link Requester}), kept so a queued operation is logged as theirs
 */
public record OperationRequest(String operation, String endpoint, String path, JsonNode body, String format,
        String requestedBy) {

    public static final java.util.Set<String> QUEUEABLE = java.util.Set.of("read", "write", "write-partial",
            "execute", "create", "delete", "discover", "write-attributes", "read-composite", "write-composite");

    Map<String, Object> describe() {
        Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("operation", operation);
        json.put("endpoint", endpoint);
        json.put("path", path);
        json.put("format", format);
        return json;
    }
}
