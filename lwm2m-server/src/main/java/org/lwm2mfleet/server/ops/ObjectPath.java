package org.lwm2mfleet.server.ops;

import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.node.InvalidLwM2mPathException;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;

/** A path from the URL, checked against the device's model before anything is sent to the device. */
final class ObjectPath {

    private ObjectPath() {
    }

    /** Parses {@code 3/0/1} (with or without a leading slash) and checks object and resource exist in the model. */
    static LwM2mPath parse(String text, LwM2mModel model) {
        LwM2mPath path;
        try {
            path = new LwM2mPath(text.startsWith("/") ? text : "/" + text);
        } catch (InvalidLwM2mPathException | IllegalArgumentException e) {
            throw new FleetException(ProblemType.INVALID_PATH, "path", "'" + text + "' is not an LwM2M path");
        }
        if (path.isRoot()) {
            throw new FleetException(ProblemType.INVALID_PATH, "path", "a path needs at least an object id");
        }
        ObjectModel object = model.getObjectModel(path.getObjectId());
        if (object == null) {
            throw new FleetException(ProblemType.INVALID_PATH, "path",
                    "object " + path.getObjectId() + " is not in the device's model");
        }
        if (path.isResource() || path.isResourceInstance()) {
            resource(path, model);
        }
        return path;
    }

    static ResourceModel resource(LwM2mPath path, LwM2mModel model) {
        ResourceModel resource = model.getResourceModel(path.getObjectId(), path.getResourceId());
        if (resource == null) {
            throw new FleetException(ProblemType.INVALID_PATH, "path", "object " + path.getObjectId()
                    + " has no resource " + path.getResourceId() + " in the device's model");
        }
        return resource;
    }
}
