package org.lwm2mfleet.server.telemetry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.link.DefaultLinkSerializer;
import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.model.ResourceModel.Type;
import org.eclipse.leshan.core.node.LwM2mMultipleResource;
import org.eclipse.leshan.core.node.LwM2mNode;
import org.eclipse.leshan.core.node.LwM2mObject;
import org.eclipse.leshan.core.node.LwM2mObjectInstance;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.node.LwM2mResourceInstance;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.node.ObjectLink;
import org.eclipse.leshan.core.node.TimestampedLwM2mNode;
import org.eclipse.leshan.core.node.TimestampedLwM2mNodes;

/** Flattens what a device reported (an object, instances, resources, at one or several times) into points. */
public final class NodePoints {

    private static final DefaultLinkSerializer LINKS = new DefaultLinkSerializer();

    private NodePoints() {
    }

    /** A single observation's notification: one node, or several timestamped ones. */
    public static List<TelemetryPoint> of(String endpoint, LwM2mPath path, List<TimestampedLwM2mNode> nodes,
            Instant arrival, String source) {
        List<TelemetryPoint> points = new ArrayList<>();
        for (TimestampedLwM2mNode node : nodes) {
            Instant at = node.getTimestamp() != null ? node.getTimestamp() : arrival;
            flatten(endpoint, path, node.getNode(), at.toEpochMilli(), source, points);
        }
        return points;
    }

    /** A composite notification or a Send: values by path, at one or several times. */
    public static List<TelemetryPoint> of(String endpoint, TimestampedLwM2mNodes nodes, Instant arrival,
            String source) {
        List<TelemetryPoint> points = new ArrayList<>();
        for (Instant timestamp : nodes.getTimestamps()) {
            long at = (timestamp != null ? timestamp : arrival).toEpochMilli();
            for (Map.Entry<LwM2mPath, LwM2mNode> entry : nodes.getNodesAt(timestamp).entrySet()) {
                if (entry.getValue() != null) {
                    flatten(endpoint, entry.getKey(), entry.getValue(), at, source, points);
                }
            }
        }
        return points;
    }

    private static void flatten(String endpoint, LwM2mPath path, LwM2mNode node, long at, String source,
            List<TelemetryPoint> points) {
        if (node instanceof LwM2mObject object) {
            object.getInstances().values().forEach(instance -> flatten(endpoint,
                    new LwM2mPath(object.getId(), instance.getId()), instance, at, source, points));
        } else if (node instanceof LwM2mObjectInstance instance) {
            for (LwM2mResource resource : instance.getResources().values()) {
                flatten(endpoint, new LwM2mPath(path.getObjectId(), instance.getId(), resource.getId()), resource,
                        at, source, points);
            }
        } else if (node instanceof LwM2mSingleResource single) {
            points.add(point(endpoint, path, single.getValue(), single.getType(), at, source));
        } else if (node instanceof LwM2mMultipleResource multiple) {
            multiple.getInstances().forEach((id, instance) -> points.add(point(endpoint,
                    new LwM2mPath(path.getObjectId(), path.getObjectInstanceId(), path.getResourceId(), id),
                    instance.getValue(), instance.getType(), at, source)));
        } else if (node instanceof LwM2mResourceInstance instance) {
            points.add(point(endpoint, path, instance.getValue(), instance.getType(), at, source));
        }
    }

    private static TelemetryPoint point(String endpoint, LwM2mPath path, Object value, Type type, long at,
            String source) {
        Double number = null;
        String text = null;
        if (value instanceof Number n) {
            number = n.doubleValue();
        } else if (value instanceof Boolean b) {
            number = b ? 1.0 : 0.0;
            text = b.toString();
        } else if (value instanceof Date date) {
            number = date.getTime() / 1000.0;
            text = date.toInstant().toString();
        } else if (value instanceof byte[] bytes) {
            text = Base64.getEncoder().encodeToString(bytes);
        } else if (value instanceof ObjectLink link) {
            text = link.getObjectId() + ":" + link.getObjectInstanceId();
        } else if (value instanceof Link[] links) {
            text = LINKS.serializeCoreLinkFormat(links);
        } else if (value != null) {
            text = value.toString();
        }
        if (text != null && text.length() > 1024) {
            text = text.substring(0, 1024);
        }
        return new TelemetryPoint(endpoint, path.toString(), at, number, text, type == null ? "NONE" : type.name(),
                source);
    }
}
