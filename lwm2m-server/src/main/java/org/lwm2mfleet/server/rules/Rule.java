package org.lwm2mfleet.server.rules;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.ops.OperationsResource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An automation rule: a trigger on a value that devices report, and the actions taken when it fires (and, for
 * writes and alerts, undone when it clears). {@link #parse} checks a rule against the object models, naming the
 * field of each problem.
 */
public record Rule(long id, String name, boolean enabled, Trigger trigger, List<Action> actions) {

    public enum Condition {
        /** The value rises above {@code threshold}; clears when it falls below {@code clear}. */
        ABOVE,
        /** The value falls below {@code threshold}; clears when it rises above {@code clear}. */
        BELOW,
        /** The value equals {@code value}; clears when it differs. */
        EQUALS,
        /** The value differs from the one reported before: an event, it fires every time and never stays active. */
        CHANGED,
        /** Nothing reported for {@code silentSeconds}; clears with the next report. */
        SILENT;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Set<String> SEVERITIES = Set.of("critical", "major", "minor", "warning", "info");

    /**
     * What the rule watches: one resource path on one device, on every device with a tag, or on every device of a
     * profile (the devices that announced an object, e.g. 3325 for gas detectors).
     *
     * @param clear for above and below, the level that clears the rule: the gap to the threshold is the hysteresis
     * @param hold how long the condition must hold before the rule fires (zero: at once)
     * @param silence for silent, how long without a report fires the rule
     * @param attributes the observe attributes (as in {@code pmin=1&pmax=60}) used when the server observes the path
     *        for the rule, or null
     */
    public record Trigger(String path, String endpoint, String tag, Integer profile, Condition condition,
            double threshold, double clear, JsonNode value, Duration hold, Duration silence, String attributes) {

        /** True when {@code value} meets the condition (above, below, equals). */
        boolean holds(Object value) {
            return switch (condition) {
            case ABOVE -> value instanceof Number n && n.doubleValue() > threshold;
            case BELOW -> value instanceof Number n && n.doubleValue() < threshold;
            case EQUALS -> same(this.value, value);
            default -> false;
            };
        }

        /** True when {@code value} clears an active rule. */
        boolean clears(Object value) {
            return switch (condition) {
            case ABOVE -> value instanceof Number n && n.doubleValue() < clear;
            case BELOW -> value instanceof Number n && n.doubleValue() > clear;
            case EQUALS -> !same(this.value, value);
            default -> false;
            };
        }

        /** Whether a device is watched, knowing its tags and the objects it announced. */
        boolean watches(String deviceEndpoint, List<String> tags, Set<Integer> objects) {
            if (endpoint != null) {
                return endpoint.equals(deviceEndpoint);
            }
            return tag != null ? tags.contains(tag) : objects.contains(profile);
        }

        /** Whether judging a report needs the ones before it (the last value, the last report's time). */
        boolean keepsHistory() {
            return condition == Condition.CHANGED || condition == Condition.SILENT;
        }
    }

    /** What a rule does when it fires. */
    public sealed interface Action permits Write, Execute, RaiseAlert, CallWebhook {
        String type();
    }

    /** Writes {@code value} on a named device or every device with a tag; writes {@code clearValue}, if any, on clear. */
    public record Write(String path, String endpoint, String tag, JsonNode value, JsonNode clearValue)
            implements Action {
        @Override
        public String type() {
            return "write";
        }
    }

    /** Executes a resource, with arguments, on a named device or every device with a tag, when the rule fires. */
    public record Execute(String path, String endpoint, String tag, String arguments) implements Action {
        @Override
        public String type() {
            return "execute";
        }
    }

    /** Raises an alert for the device when the rule fires, and clears it when the rule clears. */
    public record RaiseAlert(String severity, String message) implements Action {
        @Override
        public String type() {
            return "alert";
        }
    }

    /** POSTs the firing (and the clearing) as JSON to {@code url}, signed with HMAC-SHA256 under {@code secret}. */
    public record CallWebhook(URI url, String secret) implements Action {
        @Override
        public String type() {
            return "webhook";
        }

        @Override
        public String toString() {
            return "CallWebhook[url=" + url + ", secret=****]"; // never a secret in a log
        }
    }

    /** Reads and checks a rule against the object models; each problem names its field. */
    static Rule parse(long id, JsonNode json, LwM2mModelRepository models) {
        if (json == null || !json.isObject()) {
            throw FleetException.invalid("body", "a rule is a JSON object");
        }
        String name = text(json, "name", true, null);
        if (name.length() > 200) {
            throw FleetException.invalid("name", "at most 200 characters");
        }
        JsonNode enabledJson = json.get("enabled");
        if (enabledJson != null && !enabledJson.isBoolean()) {
            throw FleetException.invalid("enabled", "must be true or false");
        }
        boolean enabled = enabledJson == null || enabledJson.asBoolean();
        Trigger trigger = trigger(json.get("trigger"), models);
        JsonNode actionsJson = json.get("actions");
        if (actionsJson == null || !actionsJson.isArray() || actionsJson.isEmpty()) {
            throw FleetException.invalid("actions", "at least one action is required");
        }
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < actionsJson.size(); i++) {
            actions.add(action(actionsJson.get(i), "actions[" + i + "]", models));
        }
        return new Rule(id, name, enabled, trigger, List.copyOf(actions));
    }

    private static Trigger trigger(JsonNode json, LwM2mModelRepository models) {
        if (json == null || !json.isObject()) {
            throw FleetException.invalid("trigger", "is required: {path, endpoint, tag or profile, condition, ...}");
        }
        String path = text(json, "path", true, "trigger");
        ResourceModel resource = resource(models, path, "trigger.path");
        String endpoint = text(json, "endpoint", false, "trigger");
        String tag = text(json, "tag", false, "trigger");
        Integer profile = null;
        if (json.hasNonNull("profile")) {
            JsonNode profileJson = json.get("profile");
            if (!profileJson.canConvertToInt() || models.getObjectModel(profileJson.asInt()) == null) {
                throw FleetException.invalid("trigger.profile", "must be the id of a known object, such as 3325"
                        + " for every gas detector, was " + profileJson);
            }
            profile = profileJson.asInt();
        }
        if ((endpoint != null ? 1 : 0) + (tag != null ? 1 : 0) + (profile != null ? 1 : 0) != 1) {
            throw FleetException.invalid("trigger.endpoint", "give exactly one of endpoint, tag and profile");
        }
        String conditionText = text(json, "condition", true, "trigger");
        Condition condition;
        try {
            condition = Condition.valueOf(conditionText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw FleetException.invalid("trigger.condition", "must be above, below, equals, changed or silent, was '"
                    + conditionText + "'");
        }
        double threshold = 0;
        double clear = 0;
        JsonNode value = null;
        Duration silence = Duration.ZERO;
        switch (condition) {
        case ABOVE, BELOW -> {
            if (!numeric(resource)) {
                throw FleetException.invalid("trigger.path", path + " (" + resource.name + ") is "
                        + resource.type.toString().toLowerCase(Locale.ROOT) + ", not a number: " + condition.id()
                        + " needs a number");
            }
            threshold = number(json, "threshold", null);
            clear = number(json, "clear", threshold);
            if (condition == Condition.ABOVE ? clear > threshold : clear < threshold) {
                throw FleetException.invalid("trigger.clear", "must be on the other side of the threshold from the"
                        + " firing values (at most the threshold for above, at least for below)");
            }
        }
        case EQUALS -> {
            value = json.get("value");
            if (value == null || value.isNull()) {
                throw FleetException.invalid("trigger.value", "is required for equals");
            }
            typed(value, resource, path, "trigger.value");
        }
        case SILENT -> silence = Duration.ofSeconds(seconds(json, "silentSeconds", true));
        default -> {
        }
        }
        Duration hold = Duration.ofSeconds(seconds(json, "holdSeconds", false));
        if (!hold.isZero() && condition != Condition.ABOVE && condition != Condition.BELOW
                && condition != Condition.EQUALS) {
            throw FleetException.invalid("trigger.holdSeconds", "applies to above, below and equals only");
        }
        JsonNode attributes = json.get("attributes");
        String attributeQuery = attributes == null || attributes.isNull() ? null
                : OperationsResource.attributeQuery(attributes, "trigger.attributes");
        return new Trigger(path, endpoint, tag, profile, condition, threshold, clear, value, hold, silence,
                attributeQuery);
    }

    private static Action action(JsonNode json, String field, LwM2mModelRepository models) {
        if (json == null || !json.isObject()) {
            throw FleetException.invalid(field, "an action is a JSON object");
        }
        String type = text(json, "type", true, field);
        switch (type) {
        case "write" -> {
            String path = text(json, "path", true, field);
            ResourceModel resource = resource(models, path, field + ".path");
            if (!resource.operations.isWritable()) {
                throw FleetException.invalid(field + ".path", path + " (" + resource.name + ") is not writable");
            }
            JsonNode value = json.get("value");
            if (value == null || value.isNull()) {
                throw FleetException.invalid(field + ".value", "is required for a write");
            }
            typed(value, resource, path, field + ".value");
            JsonNode clearValue = json.get("clearValue");
            if (clearValue != null && !clearValue.isNull()) {
                typed(clearValue, resource, path, field + ".clearValue");
            }
            String[] target = target(json, field);
            return new Write(path, target[0], target[1], value, clearValue == null || clearValue.isNull() ? null
                    : clearValue);
        }
        case "execute" -> {
            String path = text(json, "path", true, field);
            ResourceModel resource = resource(models, path, field + ".path");
            if (!resource.operations.isExecutable()) {
                throw FleetException.invalid(field + ".path", path + " (" + resource.name + ") is not executable");
            }
            String[] target = target(json, field);
            return new Execute(path, target[0], target[1], text(json, "arguments", false, field));
        }
        case "alert" -> {
            String severity = text(json, "severity", false, field);
            if (severity == null) {
                severity = "warning";
            } else if (!SEVERITIES.contains(severity)) {
                throw FleetException.invalid(field + ".severity", "must be critical, major, minor, warning or info,"
                        + " was '" + severity + "'");
            }
            String message = text(json, "message", false, field);
            if (message != null && message.length() > 1000) {
                throw FleetException.invalid(field + ".message", "at most 1000 characters");
            }
            return new RaiseAlert(severity, message);
        }
        case "webhook" -> {
            String url = text(json, "url", true, field);
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw FleetException.invalid(field + ".url", "is not a URL: " + e.getMessage());
            }
            if (!uri.isAbsolute() || !Set.of("http", "https").contains(uri.getScheme()) || uri.getHost() == null) {
                throw FleetException.invalid(field + ".url", "must be an absolute http or https URL, was '" + url
                        + "'");
            }
            String secret = text(json, "secret", true, field);
            if (secret.length() < 16) {
                throw FleetException.invalid(field + ".secret", "at least 16 characters: it signs the requests");
            }
            return new CallWebhook(uri, secret);
        }
        default -> throw FleetException.invalid(field + ".type", "must be write, execute, alert or webhook, was '"
                + type + "'");
        }
    }

    /** {endpoint, tag}: exactly one of them. */
    private static String[] target(JsonNode json, String field) {
        String endpoint = text(json, "endpoint", false, field);
        String tag = text(json, "tag", false, field);
        if ((endpoint == null) == (tag == null)) {
            throw FleetException.invalid(field + ".endpoint", "give exactly one of endpoint and tag");
        }
        return new String[] { endpoint, tag };
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

    /** Refuses a value whose JSON type does not fit the resource (a string for a number, a number for a boolean). */
    private static void typed(JsonNode value, ResourceModel resource, String path, String field) {
        boolean fits = switch (resource.type) {
        case INTEGER, UNSIGNED_INTEGER, FLOAT, TIME -> value.isNumber();
        case BOOLEAN -> value.isBoolean();
        case STRING -> value.isTextual();
        default -> value.isTextual() || value.isNumber() || value.isBoolean();
        };
        if (!fits) {
            throw FleetException.invalid(field, value + " does not fit " + path + " (" + resource.name + "), which is "
                    + resource.type.toString().toLowerCase(Locale.ROOT));
        }
    }

    /** A reported value (Number, Boolean, String...) equals the rule's JSON value. */
    static boolean same(JsonNode expected, Object actual) {
        if (expected == null || actual == null) {
            return false;
        }
        if (expected.isNumber()) {
            return actual instanceof Number n && n.doubleValue() == expected.asDouble();
        }
        if (expected.isBoolean()) {
            // Reported booleans reach the rules as text ("true"), as on the event stream.
            return String.valueOf(expected.asBoolean()).equals(String.valueOf(actual));
        }
        return expected.asText().equals(String.valueOf(actual));
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

    private static long seconds(JsonNode json, String field, boolean required) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw FleetException.invalid("trigger." + field, "is required");
            }
            return 0;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0
                || value.asLong() > Duration.ofDays(30).toSeconds() || (required && value.asLong() == 0)) {
            throw FleetException.invalid("trigger." + field, "must be a whole number of seconds between "
                    + (required ? 1 : 0) + " and 2592000 (30 days), was " + value);
        }
        return value.asLong();
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
