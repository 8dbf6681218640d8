package org.lwm2mfleet.server.rules;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.lwm2mfleet.server.error.FleetException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An automation rule: when a reported number on a device (one named device, or every device with a tag) goes above
 * (or below) a threshold, act on devices; when it comes back past the clear level, undo. The gap between threshold
 * and clear level is the hysteresis that keeps a value wandering near the limit from flapping the actions.
 *
 * @param clear the level that clears the rule: for {@code above} the value must fall below it, for {@code below}
 *        rise above it
 */
public record Rule(long id, String name, boolean enabled, String path, String endpoint, String tag, boolean above,
        double threshold, double clear, List<Action> actions) {

    /**
     * Writes {@code value} (or executes {@code path}) on a named device or every device with a tag when the rule
     * fires; writes {@code clearValue}, when there is one, when it clears.
     */
    public record Action(String type, String path, String endpoint, String tag, JsonNode value, JsonNode clearValue,
            String arguments) {
    }

    /** True when {@code value} makes an inactive rule fire. */
    boolean fires(double value) {
        return above ? value > threshold : value < threshold;
    }

    /** True when {@code value} clears an active rule. */
    boolean clears(double value) {
        return above ? value < clear : value > clear;
    }

    boolean appliesTo(String deviceEndpoint, List<String> deviceTags) {
        return endpoint != null ? endpoint.equals(deviceEndpoint) : deviceTags.contains(tag);
    }

    /** Reads and checks a rule against the object models; each problem names its field. */
    static Rule parse(long id, JsonNode json, LwM2mModelRepository models) {
        if (json == null || !json.isObject()) {
            throw FleetException.invalid("body", "a rule is a JSON object");
        }
        String name = text(json, "name", true);
        boolean enabled = !json.has("enabled") || json.get("enabled").asBoolean(true);
        JsonNode trigger = json.get("trigger");
        if (trigger == null || !trigger.isObject()) {
            throw FleetException.invalid("trigger", "is required: {path, endpoint or tag, condition, threshold}");
        }
        String path = text(trigger, "path", true);
        ResourceModel resource = resource(models, path, "trigger.path");
        if (!numeric(resource)) {
            throw FleetException.invalid("trigger.path", path + " (" + resource.name + ") is " + resource.type
                    + ", not a number: above and below need a number");
        }
        String endpoint = text(trigger, "endpoint", false);
        String tag = text(trigger, "tag", false);
        if ((endpoint == null) == (tag == null)) {
            throw FleetException.invalid("trigger.endpoint", "give exactly one of endpoint and tag");
        }
        String condition = text(trigger, "condition", true);
        if (!condition.equals("above") && !condition.equals("below")) {
            throw FleetException.invalid("trigger.condition", "must be above or below, was '" + condition + "'");
        }
        double threshold = number(trigger, "threshold", null);
        double clear = number(trigger, "clear", threshold);
        boolean above = condition.equals("above");
        if (above ? clear > threshold : clear < threshold) {
            throw FleetException.invalid("trigger.clear", "must be on the other side of the threshold from the"
                    + " firing values (at most the threshold for above, at least for below)");
        }
        JsonNode actionsJson = json.get("actions");
        if (actionsJson == null || !actionsJson.isArray() || actionsJson.isEmpty()) {
            throw FleetException.invalid("actions", "at least one action is required");
        }
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < actionsJson.size(); i++) {
            actions.add(action(actionsJson.get(i), "actions[" + i + "]", models));
        }
        return new Rule(id, name, enabled, path, endpoint, tag, above, threshold, clear, List.copyOf(actions));
    }

    private static Action action(JsonNode json, String field, LwM2mModelRepository models) {
        if (json == null || !json.isObject()) {
            throw FleetException.invalid(field, "an action is a JSON object");
        }
        String type = text(json, "type", true, field);
        String path = text(json, "path", true, field);
        ResourceModel resource = resource(models, path, field + ".path");
        String endpoint = text(json, "endpoint", false, field);
        String tag = text(json, "tag", false, field);
        if ((endpoint == null) == (tag == null)) {
            throw FleetException.invalid(field + ".endpoint", "give exactly one of endpoint and tag");
        }
        switch (type) {
        case "write" -> {
            if (!resource.operations.isWritable()) {
                throw FleetException.invalid(field + ".path", path + " (" + resource.name + ") is not writable");
            }
            if (json.get("value") == null) {
                throw FleetException.invalid(field + ".value", "is required for a write");
            }
            return new Action(type, path, endpoint, tag, json.get("value"), json.get("clearValue"), null);
        }
        case "execute" -> {
            if (!resource.operations.isExecutable()) {
                throw FleetException.invalid(field + ".path", path + " (" + resource.name + ") is not executable");
            }
            return new Action(type, path, endpoint, tag, null, null, text(json, "arguments", false, field));
        }
        default -> throw FleetException.invalid(field + ".type", "must be write or execute, was '" + type + "'");
        }
    }

    private static ResourceModel resource(LwM2mModelRepository models, String path, String field) {
        String[] parts = path.startsWith("/") ? path.substring(1).split("/") : new String[0];
        if (parts.length != 3) {
            throw FleetException.invalid(field, "must be a resource path /object/instance/resource, was '" + path + "'");
        }
        try {
            ObjectModel object = models.getObjectModel(Integer.parseInt(parts[0]));
            Integer.parseInt(parts[1]);
            ResourceModel resource = object == null ? null : object.resources.get(Integer.parseInt(parts[2]));
            if (resource == null) {
                throw FleetException.invalid(field, path + " is not in any known object model");
            }
            return resource;
        } catch (NumberFormatException e) {
            throw FleetException.invalid(field, "must be a resource path /object/instance/resource, was '" + path + "'");
        }
    }

    private static boolean numeric(ResourceModel resource) {
        return resource.type == ResourceModel.Type.INTEGER || resource.type == ResourceModel.Type.FLOAT
                || resource.type == ResourceModel.Type.UNSIGNED_INTEGER;
    }

    private static double number(JsonNode json, String field, Double fallback) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                throw FleetException.invalid("trigger." + field, "is required");
            }
            return fallback;
        }
        if (!value.isNumber()) {
            throw FleetException.invalid("trigger." + field, "must be a number, was " + value);
        }
        return value.asDouble();
    }

    private static String text(JsonNode json, String field, boolean required) {
        return text(json, field, required, null);
    }

    private static String text(JsonNode json, String field, boolean required, String parent) {
        String name = parent == null ? field : parent + "." + field;
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw FleetException.invalid(name, "is required");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw FleetException.invalid(name, "must be a non-empty string");
        }
        return value.asText();
    }
}
