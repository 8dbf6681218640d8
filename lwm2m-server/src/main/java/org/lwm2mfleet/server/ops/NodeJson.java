package org.lwm2mfleet.server.ops;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.link.DefaultLinkSerializer;
import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.node.LwM2mMultipleResource;
import org.eclipse.leshan.core.node.LwM2mNode;
import org.eclipse.leshan.core.node.LwM2mObject;
import org.eclipse.leshan.core.node.LwM2mObjectInstance;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.node.LwM2mResourceInstance;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.node.ObjectLink;

/**
 * Renders what a device returned in the house JSON shape: every resource with its path, name, type and unit from the
 * device's object model ({@code {"path":"/3303/0/5700","name":"Sensor Value","type":"FLOAT","unit":"Cel",
 * "value":21.5}}); opaque values as Base64, times as ISO-8601, multi-instance resources as a map of values.
 */
final class NodeJson {

    private static final DefaultLinkSerializer LINKS = new DefaultLinkSerializer();

    private NodeJson() {
    }

    static Map<String, Object> render(LwM2mPath path, LwM2mNode node, LwM2mModel model) {
        if (node instanceof LwM2mObject object) {
            return object(object, model);
        }
        if (node instanceof LwM2mObjectInstance instance) {
            return instance(path.getObjectId(), instance, model);
        }
        if (node instanceof LwM2mResource resource) {
            return resource(path.getObjectId(), path.getObjectInstanceId(), resource, model);
        }
        if (node instanceof LwM2mResourceInstance instance) {
            ResourceModel resourceModel = model.getResourceModel(path.getObjectId(), path.getResourceId());
            Map<String, Object> json = described(path.toString(), resourceModel == null ? null : resourceModel.name);
            json.put("type", instance.getType().name());
            json.put("unit", resourceModel == null ? null : emptyToNull(resourceModel.units));
            json.put("value", value(instance.getValue()));
            return json;
        }
        throw new IllegalArgumentException("unexpected node " + node);
    }

    private static Map<String, Object> object(LwM2mObject object, LwM2mModel model) {
        ObjectModel objectModel = model.getObjectModel(object.getId());
        Map<String, Object> json = described("/" + object.getId(), objectModel == null ? null : objectModel.name);
        List<Object> instances = new ArrayList<>();
        for (LwM2mObjectInstance instance : new java.util.TreeMap<>(object.getInstances()).values()) {
            instances.add(instance(object.getId(), instance, model));
        }
        json.put("instances", instances);
        return json;
    }

    private static Map<String, Object> instance(int objectId, LwM2mObjectInstance instance, LwM2mModel model) {
        ObjectModel objectModel = model.getObjectModel(objectId);
        Map<String, Object> json = described("/" + objectId + "/" + instance.getId(),
                objectModel == null ? null : objectModel.name);
        List<Object> resources = new ArrayList<>();
        for (LwM2mResource resource : new java.util.TreeMap<>(instance.getResources()).values()) {
            resources.add(resource(objectId, instance.getId(), resource, model));
        }
        json.put("resources", resources);
        return json;
    }

    private static Map<String, Object> resource(int objectId, int instanceId, LwM2mResource resource,
            LwM2mModel model) {
        ResourceModel resourceModel = model.getResourceModel(objectId, resource.getId());
        Map<String, Object> json = described("/" + objectId + "/" + instanceId + "/" + resource.getId(),
                resourceModel == null ? null : resourceModel.name);
        json.put("type", resource.getType() == null ? null : resource.getType().name());
        json.put("unit", resourceModel == null ? null : emptyToNull(resourceModel.units));
        if (resource instanceof LwM2mSingleResource single) {
            json.put("value", value(single.getValue()));
        } else if (resource instanceof LwM2mMultipleResource multiple) {
            Map<String, Object> values = new LinkedHashMap<>();
            multiple.getInstances().forEach((id, instance) -> values.put(String.valueOf(id), value(instance.getValue())));
            json.put("values", values);
        }
        return json;
    }

    private static Map<String, Object> described(String path, String name) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", path);
        json.put("name", name);
        return json;
    }

    /** JSON-friendly form of a Leshan value. */
    static Object value(Object value) {
        if (value instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (value instanceof Date date) {
            return date.toInstant().toString();
        }
        if (value instanceof ObjectLink link) {
            return link.getObjectId() + ":" + link.getObjectInstanceId();
        }
        if (value instanceof Link[] links) {
            return LINKS.serializeCoreLinkFormat(links);
        }
        if (value instanceof Number || value instanceof Boolean || value instanceof String || value == null) {
            return value;
        }
        return value.toString();
    }

    private static String emptyToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }
}
