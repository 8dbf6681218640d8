package org.lwm2mfleet.server.ops;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Date;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.model.ResourceModel.Type;
import org.eclipse.leshan.core.node.LwM2mMultipleResource;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.node.ObjectLink;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/** Turns a JSON value into the typed value a resource's model asks for, or says which resource refused it. */
final class ResourceValues {

    private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern
            .compile("(-?\\d+(?:\\.\\d+)?)\\.\\.(-?\\d+(?:\\.\\d+)?)");

    private ResourceValues() {
    }

    /**
     * The resource to write, from {@code {"value": ...}}, or {@code {"values": {"0": ..., "1": ...}}} for a
     * multi-instance resource. Field names in errors start with {@code prefix}.
     */
    static LwM2mResource toResource(ResourceModel model, JsonNode holder, String prefix) {
        if (Boolean.TRUE.equals(model.multiple)) {
            JsonNode values = holder == null ? null : holder.get("values");
            if (values == null || !values.isObject()) {
                throw FleetException.invalid(prefix + "values", describe(model)
                        + " is multi-instance: give {\"values\": {\"0\": ..., \"1\": ...}}");
            }
            Map<Integer, Object> byInstance = new TreeMap<>();
            for (Iterator<String> ids = values.fieldNames(); ids.hasNext();) {
                String id = ids.next();
                if (!id.matches("\\d{1,5}")) {
                    throw FleetException.invalid(prefix + "values." + id, "resource instance ids are numbers");
                }
                byInstance.put(Integer.valueOf(id), toValue(model, values.get(id), prefix + "values." + id));
            }
            return LwM2mMultipleResource.newResource(model.id, byInstance, model.type);
        }
        return LwM2mSingleResource.newResource(model.id,
                toValue(model, holder == null ? null : holder.get("value"), prefix + "value"), model.type);
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
                return inRange(model, json.asLong(), field);
            case UNSIGNED_INTEGER:
                requireThat(json.isIntegralNumber() && json.canConvertToLong() && json.asLong() >= 0, model, field,
                        "an unsigned integer");
                inRange(model, json.asLong(), field);
                return org.eclipse.leshan.core.util.datatype.ULong.valueOf(json.asLong());
            case FLOAT:
                requireThat(json.isNumber(), model, field, "a number");
                return inRange(model, json.asDouble(), field);
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

    /** Checks a number against a model range such as {@code 0..100} or {@code -40..85}; other forms are not checked. */
    private static <N extends Number> N inRange(ResourceModel model, N value, String field) {
        String range = model.rangeEnumeration == null ? "" : model.rangeEnumeration.replace(" ", "");
        java.util.regex.Matcher m = RANGE.matcher(range);
        if (m.matches()) {
            double min = Double.parseDouble(m.group(1));
            double max = Double.parseDouble(m.group(2));
            if (value.doubleValue() < min || value.doubleValue() > max) {
                throw FleetException.invalid(field, describe(model) + " takes " + range + ", not " + value);
            }
        }
        return value;
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
