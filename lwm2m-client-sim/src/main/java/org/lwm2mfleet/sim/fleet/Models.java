package org.lwm2mfleet.sim.fleet;

import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.lwm2mfleet.models.ObjectModels;

/** The object models, parsed once per process and shared by every simulated device. */
final class Models {

    static final LwM2mModel MODEL = new LwM2mModelRepository(ObjectModels.all()).getLwM2mModel();

    private Models() {
    }
}
