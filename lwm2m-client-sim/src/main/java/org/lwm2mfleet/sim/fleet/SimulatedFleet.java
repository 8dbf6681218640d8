package org.lwm2mfleet.sim.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many simulated devices in one process. They share one small scheduler (Leshan's per-client timers and the value
 * ticks), start staggered over the spec's duration, and stop together. Devices are numbered from 1 (see
 * {@link FleetSpec}).
 */
public final class SimulatedFleet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedFleet.class);
    /** Enough threads for timers that only send and schedule; blocking work runs elsewhere. */
    private static final int SCHEDULER_THREADS = Math.min(4, Math.max(2, Runtime.getRuntime().availableProcessors()));
    /** De-registrations are round trips: a few at a time keep a large fleet's shutdown short. */
    private static final int STOPPING_THREADS = 8;

    private final FleetSpec spec;
    private final ScheduledExecutorService scheduler;
    private final List<SimulatedDevice> devices;
    private final List<Future<?>> scheduled = new ArrayList<>();

    private SimulatedFleet(FleetSpec spec, ScheduledExecutorService scheduler, List<SimulatedDevice> devices) {
        this.spec = spec;
        this.scheduler = scheduler;
        this.devices = List.copyOf(devices);
    }

    /** Builds every device (nothing is sent until {@link #start()}). */
    public static SimulatedFleet create(FleetSpec spec) {
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(SCHEDULER_THREADS,
                daemonThreads("fleet-"));
        List<SimulatedDevice> devices = new ArrayList<>();
        for (int n = 1; n <= spec.count(); n++) {
            String endpoint = spec.endpoint(n);
            SimulatedDevice device = SimulatedDevice.builder(endpoint, spec.profile(n)).serverUri(spec.serverUri())
                    .security(DeviceSecurity.forFleet(spec.securityMode(), spec.fleetSecret(), endpoint,
                            spec.serverPublicKey(), spec.serverCertificate()))
                    .lifetime(spec.lifetime()).seed(spec.seed() * 1_000_003L + n).sharedExecutor(scheduler)
                    .queueMode(spec.wakeInterval()).connectionId(spec.connectionId())
                    .behindNat(spec.natRebindInterval() != null).build();
            if (spec.failures() != null && spec.failures().appliesTo(endpoint, spec.seed())) {
                device.firmware().injectFailure(spec.failures().failure());
            }
            devices.add(device);
        }
        return new SimulatedFleet(spec, scheduler, devices);
    }

    /**
     * Starts device i (from 0) at i × stagger / count, then tells observers every tick interval that values moved,
     * and, with a send interval, sends every device's main values that often.
     */
    public synchronized void start() {
        long staggerMillis = spec.stagger().toMillis();
        for (int i = 0; i < devices.size(); i++) {
            SimulatedDevice device = devices.get(i);
            long delay = staggerMillis * i / devices.size();
            scheduled.add(scheduler.schedule(device::start, delay, TimeUnit.MILLISECONDS));
        }
        long tick = spec.tickInterval().toMillis();
        scheduled.add(scheduler.scheduleAtFixedRate(() -> devices.forEach(device -> {
            try {
                device.tick();
            } catch (RuntimeException e) {
                LOG.debug("tick failed on {}", device.endpoint(), e);
            }
        }), tick, tick, TimeUnit.MILLISECONDS));
        if (spec.sendInterval() != null) {
            long period = spec.sendInterval().toMillis();
            scheduled.add(scheduler.scheduleAtFixedRate(() -> devices.forEach(device -> device.sendAsync(
                    device.profile().reportPaths())), period, period, TimeUnit.MILLISECONDS));
        }
        if (spec.natRebindInterval() != null) {
            // Each device moves once per interval, spread like the starts so the server sees a steady trickle.
            long period = spec.natRebindInterval().toMillis();
            for (int i = 0; i < devices.size(); i++) {
                SimulatedDevice device = devices.get(i);
                long delay = period + period * i / devices.size();
                scheduled.add(scheduler.scheduleAtFixedRate(() -> {
                    try {
                        device.rebindSourcePort();
                    } catch (RuntimeException e) {
                        LOG.debug("NAT rebinding failed on {}", device.endpoint(), e);
                    }
                }, delay, period, TimeUnit.MILLISECONDS));
            }
        }
        LOG.info("fleet of {} devices starting over {} against {}", devices.size(), spec.stagger(), spec.serverUri());
    }

    public List<SimulatedDevice> devices() {
        return devices;
    }

    /** How many devices hold a registration right now. */
    public long registeredCount() {
        return devices.stream().filter(SimulatedDevice::isRegistered).count();
    }

    /** Stops every device (de-registering, a few at a time), then the shared scheduler. */
    @Override
    public synchronized void close() {
        scheduled.forEach(task -> task.cancel(false)); // no device starts once the fleet is closing
        ExecutorService stopping = Executors.newFixedThreadPool(STOPPING_THREADS, daemonThreads("fleet-stop-"));
        try {
            CompletableFuture.allOf(devices.stream().map(device -> CompletableFuture.runAsync(() -> {
                try {
                    device.destroy();
                } catch (RuntimeException e) {
                    LOG.debug("stopping {} failed", device.endpoint(), e);
                }
            }, stopping)).toArray(CompletableFuture[]::new)).join();
        } finally {
            stopping.shutdown();
            scheduler.shutdownNow();
        }
        LOG.info("fleet of {} devices stopped", devices.size());
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger threads = new AtomicInteger();
        return r -> {
            Thread thread = new Thread(r, prefix + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
