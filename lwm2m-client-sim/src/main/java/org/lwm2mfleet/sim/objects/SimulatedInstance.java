package org.lwm2mfleet.sim.objects;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.eclipse.leshan.client.resource.BaseInstanceEnabler;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.node.LwM2mMultipleResource;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.request.argument.Arguments;
import org.eclipse.leshan.core.response.ExecuteResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.core.response.WriteResponse;

/**
 * An object instance declared resource by resource: a reader for each readable resource, a writer for each writable
 * one, an action for each executable one. Values are typed from the object model, so subclasses only say what the
 * value is. Only the declared resources are announced.
 */
public abstract class SimulatedInstance extends BaseInstanceEnabler {

    private final Map<Integer, Supplier<Object>> readers = new HashMap<>();
    private final Map<Integer, Consumer<Object>> writers = new HashMap<>();
    private final Map<Integer, Runnable> actions = new HashMap<>();

    protected SimulatedInstance(int instanceId) {
        super(instanceId);
    }

    /** A value computed on read. A {@code Map<Integer, ?>} is a multi-instance resource (instance id → value). */
    protected final void readable(int resourceId, Supplier<Object> reader) {
        readers.put(resourceId, reader);
    }

    protected final void writable(int resourceId, Supplier<Object> reader, Consumer<Object> writer) {
        readers.put(resourceId, reader);
        writers.put(resourceId, writer);
    }

    /** A writable value that only changes when written (Application Type, thresholds): it reads back what was written. */
    protected final AtomicReference<Object> setting(int resourceId, Object initial) {
        AtomicReference<Object> value = new AtomicReference<>(initial);
        writable(resourceId, value::get, value::set);
        return value;
    }

    protected final void executable(int resourceId, Runnable action) {
        actions.put(resourceId, action);
    }

    /** Tells observers that these resources may have changed (called from the fleet's shared ticker). */
    public void tick() {
        fireChanges(changingResources());
    }

    /** Tells observers these resources changed; a no-op until the instance belongs to an object (unit tests). */
    final void fireChanges(List<Integer> resourceIds) {
        if (getModel() != null && !resourceIds.isEmpty()) {
            fireResourcesChange(resourceIds.stream().map(this::getResourcePath).toArray(LwM2mPath[]::new));
        }
    }

    /** The resources whose value moves with time; observed ones get a notification on every tick. */
    protected List<Integer> changingResources() {
        return List.of();
    }

    @Override
    public ReadResponse read(LwM2mServer server, int resourceId) {
        Supplier<Object> reader = readers.get(resourceId);
        ResourceModel model = getModel().resources.get(resourceId);
        if (reader == null || model == null) {
            return ReadResponse.notFound();
        }
        Object value = reader.get();
        if (value instanceof Map<?, ?> instances) {
            return ReadResponse.success(LwM2mMultipleResource.newResource(resourceId, instances.entrySet().stream()
                    .collect(Collectors.toMap(e -> ((Number) e.getKey()).intValue(), Map.Entry::getValue)),
                    model.type));
        }
        return ReadResponse.success(LwM2mSingleResource.newResource(resourceId, value, model.type));
    }

    @Override
    public WriteResponse write(LwM2mServer server, boolean replace, int resourceId, LwM2mResource value) {
        Consumer<Object> writer = writers.get(resourceId);
        if (writer == null) {
            return WriteResponse.notFound();
        }
        if (!(value instanceof LwM2mSingleResource single)) {
            return WriteResponse.badRequest("single value expected");
        }
        try {
            writer.accept(single.getValue());
        } catch (IllegalArgumentException e) {
            return WriteResponse.badRequest(e.getMessage());
        }
        fireChanges(List.of(resourceId));
        return WriteResponse.success();
    }

    @Override
    public ExecuteResponse execute(LwM2mServer server, int resourceId, Arguments arguments) {
        Runnable action = actions.get(resourceId);
        if (action == null) {
            return ExecuteResponse.notFound();
        }
        action.run();
        return ExecuteResponse.success();
    }

    @Override
    public List<Integer> getAvailableResourceIds(ObjectModel model) {
        TreeSet<Integer> ids = new TreeSet<>(readers.keySet());
        ids.addAll(actions.keySet());
        ids.retainAll(model.resources.keySet());
        return new ArrayList<>(ids);
    }
}
