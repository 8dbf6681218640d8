package org.lwm2mfleet.server.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.lwm2mfleet.server.api.Exchange;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.error.FleetException;

/**
 * {@code GET /api/v1/objects} and {@code GET /api/v1/objects/{id}}: the object models the server knows (shipped
 * registry definitions, Leshan's older versions, and the operator's {@code --models-dir}), so that clients can name
 * and type what devices report.
 */
public final class ModelResource {

    private final List<ObjectModel> models;

    public ModelResource(List<ObjectModel> models) {
        this.models = models.stream()
                .sorted(Comparator.comparing((ObjectModel m) -> m.id).thenComparing(m -> m.version)).toList();
    }

    public void register(Router router) {
        router.get("/api/v1/objects", this::list);
        router.get("/api/v1/objects/{id}", this::show);
    }

    private void list(Exchange exchange) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (ObjectModel model : models) {
            items.add(summary(model));
        }
        exchange.json(200, Map.of("items", items));
    }

    /** The newest version, or the one asked with {@code ?version=1.0}. */
    private void show(Exchange exchange) {
        int id;
        try {
            id = Integer.parseInt(exchange.path("id"));
        } catch (NumberFormatException e) {
            throw FleetException.invalid("id", "must be an object id such as 3303");
        }
        String version = exchange.query("version");
        ObjectModel found = null;
        for (ObjectModel model : models) {
            if (model.id == id && (version == null || version.equals(model.version))) {
                found = model; // sorted by version: the last match is the newest
            }
        }
        if (found == null) {
            throw FleetException.notFound("no model for object " + id + (version == null ? "" : " version " + version));
        }
        Map<String, Object> json = summary(found);
        json.put("description", found.description);
        List<Map<String, Object>> resources = new ArrayList<>();
        found.resources.values().stream().sorted(Comparator.comparing(r -> r.id)).forEach(r -> resources.add(resource(r)));
        json.put("resources", resources);
        exchange.json(200, json);
    }

    private static Map<String, Object> summary(ObjectModel model) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", model.id);
        json.put("name", model.name);
        json.put("version", model.version);
        json.put("multiple", model.multiple);
        json.put("mandatory", model.mandatory);
        return json;
    }

    private static Map<String, Object> resource(ResourceModel model) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", model.id);
        json.put("name", model.name);
        json.put("operations", model.operations.name());
        json.put("type", model.type == null ? null : model.type.name());
        json.put("multiple", model.multiple);
        json.put("mandatory", model.mandatory);
        json.put("units", model.units == null || model.units.isEmpty() ? null : model.units);
        json.put("range", model.rangeEnumeration == null || model.rangeEnumeration.isEmpty() ? null
                : model.rangeEnumeration);
        json.put("description", model.description);
        return json;
    }
}
