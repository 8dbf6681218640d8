package org.lwm2mfleet.sim.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many simulated devices in one process. They share one small scheduler (Leshan's per-client timers and the value
 * ticks), start staggered over the spec's duration, and stop together.
 */
public final class SimulatedFleet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedFleet.class);
    private static final long TICK_SECONDS = 15;

    private final FleetSpec spec;
    private final ScheduledExecutorService scheduler;
    private final List<SimulatedDevice> devices;

    private SimulatedFleet(FleetSpec spec, ScheduledExecutorService scheduler, List<SimulatedDevice> devices) {
        this.spec = spec;
        this.scheduler = scheduler;
        this.devices = devices;
    }

    public static SimulatedFleet create(FleetSpec spec) {
        AtomicInteger threads = new AtomicInteger();
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(
                Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                    Thread thread = new Thread(r, "fleet-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        List<SimulatedDevice> devices = new ArrayList<>();
        for (int n = 1; n <= spec.count(); n++) {
            String endpoint = spec.endpoint(n);
            devices.add(SimulatedDevice.builder(endpoint, spec.profile(n)).serverUri(spec.serverUri())
                    .security(DeviceSecurity.forFleet(spec.securityMode(), spec.fleetSecret(), endpoint,
                            spec.serverPublicKey(), spec.serverCertificate()))
                    .lifetime(spec.lifetime()).seed(spec.seed() * 1_000_003L + n).sharedExecutor(scheduler)
                    .queueMode(spec.wakeInterval()).build());
        }
        if (spec.failures() != null) {
            for (SimulatedDevice device : devices) {
                if (spec.failures().appliesTo(device.endpoint(), spec.seed())) {
                    device.firmware().injectFailure(spec.failures().failure());
                }
            }
        }
        return new SimulatedFleet(spec, scheduler, devices);
    }

    /** Starts device i at i × stagger / count, then ticks every device's values every 15 s. */
    public void start() {
        long staggerMillis = spec.stagger().toMillis();
        for (int i = 0; i < devices.size(); i++) {
            SimulatedDevice device = devices.get(i);
            long delay = devices.size() <= 1 ? 0 : staggerMillis * i / devices.size();
            scheduler.schedule(device::start, delay, TimeUnit.MILLISECONDS);
        }
        scheduler.scheduleAtFixedRate(() -> devices.forEach(device -> {
            try {
                device.tick();
            } catch (RuntimeException e) {
                LOG.debug("tick failed on {}", device.endpoint(), e);
            }
        }), TICK_SECONDS, TICK_SECONDS, TimeUnit.SECONDS);
        if (spec.sendInterval() != null) {
            long period = spec.sendInterval().toMillis();
            scheduler.scheduleAtFixedRate(() -> devices.forEach(device -> device.sendAsync(
                    device.profile().reportPaths())), period, period, TimeUnit.MILLISECONDS);
        }
        LOG.info("fleet of {} devices starting over {} s against {}", devices.size(), spec.stagger().toSeconds(),
                spec.serverUri());
    }

    public List<SimulatedDevice> devices() {
        return List.copyOf(devices);
    }

    public long registeredCount() {
        return devices.stream().filter(SimulatedDevice::isRegistered).count();
    }

    /** Stops every device (de-registering) and the shared scheduler. */
    @Override
    public void close() {
        for (SimulatedDevice device : devices) {
            try {
                device.destroy();
            } catch (RuntimeException e) {
                LOG.debug("stopping {} failed", device.endpoint(), e);
            }
        }
        scheduler.shutdownNow();
    }
}
