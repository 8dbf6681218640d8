package org.lwm2mfleet.server.ops;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Date;

import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.model.ResourceModel.Type;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.node.ObjectLink;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/** Turns a JSON value into the typed value a resource's model asks for, or says which resource refused it. */
final class ResourceValues {

    private ResourceValues() {
    }

    static LwM2mSingleResource toResource(ResourceModel model, JsonNode json, String field) {
        return LwM2mSingleResource.newResource(model.id, toValue(model, json, field), model.type);
    }

    static Object toValue(ResourceModel model, JsonNode json, String field) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            throw FleetException.invalid(field, "a value is required for " + describe(model));
        }
        Type type = model.type;
        try {
            switch (type) {
            case STRING:
                requireThat(json.isTextual(), model, field, "a string");
                return json.asText();
            case INTEGER:
                requireThat(json.isIntegralNumber() && json.canConvertToLong(), model, field, "an integer");
                return json.asLong();
            case UNSIGNED_INTEGER:
                requireThat(json.isIntegralNumber() && json.canConvertToLong() && json.asLong() >= 0, model, field,
                        "an unsigned integer");
                return org.eclipse.leshan.core.util.datatype.ULong.valueOf(json.asLong());
            case FLOAT:
                requireThat(json.isNumber(), model, field, "a number");
                return json.asDouble();
            case BOOLEAN:
                requireThat(json.isBoolean(), model, field, "true or false");
                return json.asBoolean();
            case TIME:
                if (json.isIntegralNumber()) {
                    return new Date(json.asLong() * 1000);
                }
                requireThat(json.isTextual(), model, field, "an ISO-8601 instant or epoch seconds");
                return Date.from(Instant.parse(json.asText()));
            case OPAQUE:
                requireThat(json.isTextual(), model, field, "Base64 text");
                return Base64.getDecoder().decode(json.asText());
            case OBJLNK:
                requireThat(json.isTextual() && json.asText().matches("\\d+:\\d+"), model, field,
                        "an object link 'objectId:instanceId'");
                String[] parts = json.asText().split(":");
                return new ObjectLink(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            default:
                throw FleetException.invalid(field, describe(model) + " has type " + type + ", which cannot be written here");
            }
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw FleetException.invalid(field, "value does not fit " + describe(model) + ": " + e.getMessage());
        }
    }

    private static void requireThat(boolean ok, ResourceModel model, String field, String expected) {
        if (!ok) {
            throw FleetException.invalid(field, describe(model) + " takes " + expected);
        }
    }

    static String describe(ResourceModel model) {
        return "resource " + model.id + " (" + model.name + ", " + model.type + ")";
    }
}
