package org.lwm2mfleet.sim.profiles;

import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.lwm2mfleet.models.ObjectModels;

/** The object models, parsed once per process and shared by every simulated device. */
public final class Models {

    /** Every OMA/IPSO registry object the project ships (see {@link ObjectModels#all()}). */
    public static final LwM2mModel MODEL = new LwM2mModelRepository(ObjectModels.all()).getLwM2mModel();

    private Models() {
    }
}
