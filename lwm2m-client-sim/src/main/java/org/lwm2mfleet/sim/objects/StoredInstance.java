package org.lwm2mfleet.sim.objects;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.eclipse.leshan.client.resource.BaseInstanceEnabler;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.core.response.WriteResponse;

/**
 * An instance created by the server (LwM2M Create): it holds the values it was created or written with and reads
 * them back. Simulated devices use it for every object, so that Create and Delete work on any of them.
 */
public final class StoredInstance extends BaseInstanceEnabler {

    private final Map<Integer, LwM2mResource> values = new TreeMap<>();

    @Override
    public synchronized ReadResponse read(LwM2mServer server, int resourceId) {
        LwM2mResource value = values.get(resourceId);
        return value == null ? ReadResponse.notFound() : ReadResponse.success(value);
    }

    @Override
    public synchronized WriteResponse write(LwM2mServer server, boolean replace, int resourceId,
            LwM2mResource value) {
        values.put(resourceId, value);
        fireResourceChange(resourceId);
        return WriteResponse.success();
    }

    @Override
    public synchronized List<Integer> getAvailableResourceIds(ObjectModel model) {
        return new ArrayList<>(values.keySet());
    }
}
