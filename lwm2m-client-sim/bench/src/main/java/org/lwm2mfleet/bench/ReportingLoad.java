package org.lwm2mfleet.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.interceptors.MessageInterceptor;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpoint;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpointsProvider;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.objects.SimulatedInstance;

/**
 * Notifications at a chosen rate: every device is observed by the server on a few of its resources, and a ticker
 * (every 10 ms) tells the next observed resources, round-robin over the fleet, that they changed, so each sends a
 * notification. It keeps the time series of how many were sent, from which lag is read against the server's
 * stored counter.
 */
final class ReportingLoad {

    /** Resources every profile has, that may be observed: current time, battery, free memory, signal, link quality. */
    static final List<String> PATHS = List.of("/3/0/13", "/3/0/9", "/3/0/10", "/4/0/2", "/4/0/3");
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final List<SimulatedInstance> instances = new ArrayList<>();
    /** Notifications that left the devices (counted on their CoAP endpoints, retransmissions included). */
    private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    private final int[] resources;
    private volatile double rate;
    private long fired;
    private long next;
    private long lastTick;
    private double carry;
    private ScheduledFuture<?> ticker;
    /** (nanoTime, fired so far) at each tick. */
    private long[] times = new long[4096];
    private long[] counts = new long[4096];
    private long[] sentCounts = new long[4096];
    private int samples;

    ReportingLoad(List<SimulatedDevice> devices, int resourcesPerDevice) {
        List<Integer> ids = new ArrayList<>();
        for (SimulatedDevice device : devices) {
            for (String path : PATHS.subList(0, resourcesPerDevice)) {
                String[] parts = path.substring(1).split("/");
                instances.add(device.objects().byObjectId().get(Integer.parseInt(parts[0])));
                ids.add(Integer.parseInt(parts[2]));
            }
        }
        resources = ids.stream().mapToInt(Integer::intValue).toArray();
        MessageInterceptor counter = new MessageInterceptor() {
            @Override
            public void sendResponse(Response response) {
                if (response.getOptions().hasObserve()) {
                    sent.incrementAndGet();
                }
            }
        };
        for (SimulatedDevice device : devices) {
            for (var provider : device.client().getEndpointsProvider()) {
                if (provider instanceof CaliforniumClientEndpointsProvider californium) {
                    for (var endpoint : californium.getEndpoints()) {
                        if (endpoint instanceof CaliforniumClientEndpoint cf) {
                            cf.getCoapEndpoint().addInterceptor(counter);
                        }
                    }
                }
            }
        }
    }

    /** Notifications that left the devices so far. */
    long sent() {
        return sent.get();
    }

    /** Asks the server to observe every device's paths, {@code parallel} requests at a time; returns failures. */
    static int observeAll(FleetApi api, List<SimulatedDevice> devices, int resourcesPerDevice, int parallel)
            throws InterruptedException {
        Semaphore inFlight = new Semaphore(parallel);
        AtomicInteger failures = new AtomicInteger();
        String body = "{\"paths\":[" + String.join(",", PATHS.subList(0, resourcesPerDevice).stream()
                .map(p -> "\"" + p + "\"").toList()) + "]}";
        if (resourcesPerDevice > 1) {
            // Several paths are a composite observation: one notification carries them all. Observe one by one.
            body = null;
        }
        for (SimulatedDevice device : devices) {
            List<String> bodies = body != null ? List.of(body)
                    : PATHS.subList(0, resourcesPerDevice).stream().map(p -> "{\"paths\":[\"" + p + "\"]}").toList();
            for (String one : bodies) {
                inFlight.acquire();
                api.postAsync("/api/v1/devices/" + device.endpoint() + "/observations", "application/json", one)
                        .whenComplete((reply, error) -> {
                            if (error != null || !reply.ok()) {
                                failures.incrementAndGet();
                            }
                            inFlight.release();
                        });
            }
        }
        inFlight.acquire(parallel);
        inFlight.release(parallel);
        return failures.get();
    }

    int observedResources() {
        return resources.length;
    }

    synchronized long fired() {
        return fired;
    }

    void rate(double perSecond) {
        this.rate = perSecond;
    }

    void start(ScheduledExecutorService scheduler, double perSecond) {
        this.rate = perSecond;
        lastTick = System.nanoTime();
        record(lastTick);
        ticker = scheduler.scheduleAtFixedRate(this::tick, TICK_NANOS, TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    void stop() {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }

    private synchronized void tick() {
        long now = System.nanoTime();
        double due = rate * (now - lastTick) / 1e9 + carry;
        lastTick = now;
        long count = (long) due;
        carry = due - count;
        for (long i = 0; i < count; i++) {
            int index = (int) (next++ % resources.length);
            try {
                instances.get(index).fireResourceChange(resources[index]);
            } catch (RuntimeException e) {
                // a device that is not registered any more: its notification is simply not sent
            }
        }
        fired += count;
        record(System.nanoTime());
    }

    private void record(long now) {
        if (samples == times.length) {
            times = Arrays.copyOf(times, samples * 2);
            counts = Arrays.copyOf(counts, samples * 2);
            sentCounts = Arrays.copyOf(sentCounts, samples * 2);
        }
        times[samples] = now;
        counts[samples] = fired;
        sentCounts[samples] = sent.get();
        samples++;
    }

    /**
     * When the {@code n}-th notification (from 1) left a device, to the 10 ms of the ticker, or -1 if not yet:
     * notifications are stored in about the order they were sent.
     */
    synchronized long sentAt(long n) {
        long[] counts = sentCounts;
        int low = 0;
        int high = samples - 1;
        if (samples == 0 || counts[high] < n) {
            return -1;
        }
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (counts[mid] >= n) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return times[low];
    }
}
