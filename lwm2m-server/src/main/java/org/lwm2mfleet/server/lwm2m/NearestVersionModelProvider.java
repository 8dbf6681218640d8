package org.lwm2mfleet.server.lwm2m;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.leshan.core.LwM2m.Version;
import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.server.model.LwM2mModelProvider;
import org.eclipse.leshan.server.registration.Registration;
import org.lwm2mfleet.server.models.ModelCatalogue;

/**
 * Leshan's {@code VersionedModelProvider} (the model of each object in the version the registration announced), except
 * that a version the server lacks falls back to the nearest one it has ({@link ModelCatalogue}) rather than leaving the
 * object out of the device's model, which made every operation on it fail.
 */
final class NearestVersionModelProvider implements LwM2mModelProvider {

    private final ModelCatalogue catalogue;
    /**
     * Decoding a notification asks for the model of each of its resources; Version.toString formats on every call.
     * Announced objects and versions are few, so the choices are kept .
     */
    private final Map<Key, Optional<ObjectModel>> chosen = new ConcurrentHashMap<>();

    private static final int MAX_CHOICES = 10_000;

    private record Key(int objectId, Version version) {
    }

    NearestVersionModelProvider(ModelCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    @Override
    public LwM2mModel getObjectModel(Registration registration) {
        return new LwM2mModel() {
            @Override
            public ResourceModel getResourceModel(int objectId, int resourceId) {
                ObjectModel object = getObjectModel(objectId);
                return object == null ? null : object.resources.get(resourceId);
            }

            @Override
            public ObjectModel getObjectModel(int objectId) {
                Version version = registration.getSupportedVersion(objectId);
                return version == null ? null : model(objectId, version);
            }

            @Override
            public Collection<ObjectModel> getObjectModels() {
                Map<Integer, Version> supported = registration.getSupportedObject();
                Collection<ObjectModel> models = new ArrayList<>(supported.size());
                for (Map.Entry<Integer, Version> object : supported.entrySet()) {
                    ObjectModel model = model(object.getKey(), object.getValue());
                    if (model != null) {
                        models.add(model);
                    }
                }
                return models;
            }
        };
    }

    private ObjectModel model(int objectId, Version version) {
        Key key = new Key(objectId, version);
        Optional<ObjectModel> model = chosen.get(key);
        if (model == null) {
            ModelCatalogue.Choice choice = catalogue.choose(objectId, version.toString());
            model = Optional.ofNullable(choice == null ? null : choice.model());
            // Ids and versions are what devices announce: a hostile one must not grow this without bound.
            if (chosen.size() < MAX_CHOICES) {
                chosen.put(key, model);
            }
        }
        return model.orElse(null);
    }
}
