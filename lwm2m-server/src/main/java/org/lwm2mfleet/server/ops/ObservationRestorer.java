package org.lwm2mfleet.server.ops;

import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.lwm2mfleet.server.events.FleetEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a device registers (first time, again after a restart, or after its registration expired), asks it again
 * for the observations operators set up. Leshan drops observations with the registration they belong to.
 */
public final class ObservationRestorer implements org.lwm2mfleet.server.runtime.Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(ObservationRestorer.class);

    private final ObservationRegistry registry;
    private final DeviceOperations operations;
    private final EventBus events;
    private final java.util.List<AutoCloseable> subscriptions = new java.util.ArrayList<>();

    public ObservationRestorer(ObservationRegistry registry, DeviceOperations operations, EventBus events) {
        this.registry = registry;
        this.operations = operations;
        this.events = events;
    }

    @Override
    public void start() {
        subscriptions.add(events.subscribe(e -> EventTypes.REGISTERED.equals(e.type()), this::restore));
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable subscription : subscriptions) {
            subscription.close();
        }
        subscriptions.clear();
    }

    private void restore(FleetEvent registered) {
        for (ObservationRegistry.Remembered observation : registry.of(registered.endpoint())) {
            try {
                var attributesWritten = observation.attributes() == null || observation.paths().size() > 1
                        ? java.util.concurrent.CompletableFuture.completedFuture(java.util.Map.<String, Object>of())
                        : operations.writeAttributes(observation.endpoint(), observation.paths().get(0),
                                observation.attributes());
                attributesWritten
                        .thenCompose(ignored -> operations.startObservation(observation.endpoint(),
                                observation.paths(), observation.format()))
                        .whenComplete((result, error) -> {
                            if (error != null) {
                                LOG.warn("observation not restored endpoint={} paths={} reason={}",
                                        observation.endpoint(), observation.paths(), error.getMessage());
                            } else {
                                LOG.info("observation restored endpoint={} paths={}", observation.endpoint(),
                                        observation.paths());
                            }
                        });
            } catch (RuntimeException e) {
                LOG.warn("observation not restored endpoint={} paths={} reason={}", observation.endpoint(),
                        observation.paths(), e.getMessage());
            }
        }
    }
}
