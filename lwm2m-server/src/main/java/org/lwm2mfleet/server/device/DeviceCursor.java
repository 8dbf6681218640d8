package org.lwm2mfleet.server.device;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

import org.lwm2mfleet.server.api.Json;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a page of the device list ended: the sort it was made for, the last device's sort key (null when it has
 * none, or for the endpoint sort) and its endpoint. On the wire, base64url of a small JSON object; clients pass it
 * back as they got it.
 */
record DeviceCursor(DeviceSort sort, Object key, String endpoint) {

    String encode() {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("sort", sort.toString());
        if (sort.key() != DeviceSort.Key.ENDPOINT) {
            if (key == null) {
                json.putNull("key");
            } else if (key instanceof Integer number) {
                json.put("key", number);
            } else {
                json.put("key", key.toString());
            }
        }
        json.put("endpoint", endpoint);
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** @throws FleetException naming {@code cursor} when it is not one of this list or was made for another sort */
    static DeviceCursor decode(String text, DeviceSort sort) {
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(text));
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw notACursor();
        }
        if (json == null || !json.isObject() || !json.path("endpoint").isTextual() || !json.path("sort").isTextual()) {
            throw notACursor();
        }
        String madeFor = json.get("sort").asText();
        if (!madeFor.equals(sort.toString())) {
            throw FleetException.invalid("cursor", "this cursor pages the list sorted by '" + madeFor
                    + "', not by '" + sort + "': pass the same sort, or start again without a cursor");
        }
        String endpoint = json.get("endpoint").asText();
        JsonNode key = json.path("key");
        if (sort.key() == DeviceSort.Key.ENDPOINT) {
            return new DeviceCursor(sort, null, endpoint);
        }
        if (key.isMissingNode()) {
            throw notACursor();
        }
        if (key.isNull()) {
            if (!sort.key().nullable) {
                throw notACursor();
            }
            return new DeviceCursor(sort, null, endpoint);
        }
        try {
            return new DeviceCursor(sort, switch (sort.key()) {
            case LABEL -> requireText(key);
            case STATUS -> {
                if (!key.isInt()) {
                    throw notACursor();
                }
                yield key.asInt();
            }
            case LAST_UPDATE, CREATED_AT -> Instant.parse(requireText(key));
            case ENDPOINT -> null;
            }, endpoint);
        } catch (DateTimeParseException e) {
            throw notACursor();
        }
    }

    private static String requireText(JsonNode key) {
        if (!key.isTextual()) {
            throw notACursor();
        }
        return key.asText();
    }

    private static FleetException notACursor() {
        return FleetException.invalid("cursor", "not a cursor of this list: pass the nextCursor of the previous page"
                + " as it came");
    }
}
