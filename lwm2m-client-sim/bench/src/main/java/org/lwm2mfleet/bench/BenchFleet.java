package org.lwm2mfleet.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;

import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.SecurityMode;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

/**
 * The devices of a scenario: real simulated devices (Leshan clients) sharing one scheduler, bound to several
 * 127.0.0.x source addresses so that a large fleet does not run out of ports, each timed from its start to its
 * registration.
 */
final class BenchFleet implements AutoCloseable {

    static final String PATTERN = "bench-%06d";
    private static final int SCHEDULER_THREADS = 4;

    private final List<SimulatedDevice> devices;
    private final ScheduledExecutorService scheduler;
    private final long[] startedAt;
    private final AtomicLongArray firstRegisteredAt;
    private final AtomicLongArray lastRegisteredAt;
    /** When each device last had a Register or an Update accepted. */
    private final AtomicLongArray lastServedAt;
    private final AtomicInteger registered = new AtomicInteger();
    private final AtomicInteger registrations = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();

    private BenchFleet(List<SimulatedDevice> devices, ScheduledExecutorService scheduler) {
        this.devices = devices;
        this.scheduler = scheduler;
        this.startedAt = new long[devices.size()];
        this.firstRegisteredAt = new AtomicLongArray(devices.size());
        this.lastRegisteredAt = new AtomicLongArray(devices.size());
        this.lastServedAt = new AtomicLongArray(devices.size());
        for (int i = 0; i < devices.size(); i++) {
            int index = i;
            devices.get(i).client().addObserver(new LwM2mClientObserverAdapter() {
                @Override
                public void onRegistrationSuccess(LwM2mServer server, RegisterRequest request, String id) {
                    long now = System.nanoTime();
                    if (firstRegisteredAt.compareAndSet(index, 0, now)) {
                        registered.incrementAndGet();
                    }
                    lastRegisteredAt.set(index, now);
                    lastServedAt.set(index, now);
                    registrations.incrementAndGet();
                }

                @Override
                public void onUpdateSuccess(LwM2mServer server, org.eclipse.leshan.core.request.UpdateRequest request) {
                    lastServedAt.set(index, System.nanoTime());
                }

                @Override
                public void onRegistrationFailure(LwM2mServer server, RegisterRequest request, ResponseCode code,
                        String message, Exception cause) {
                    failures.incrementAndGet();
                }

                @Override
                public void onRegistrationTimeout(LwM2mServer server, RegisterRequest request) {
                    failures.incrementAndGet();
                }
            });
        }
    }

    static String endpoint(int number) {
        return String.format(PATTERN, number);
    }

    /**
     * Devices {@code first} to {@code first + count - 1} against {@code serverUri}.
     *
     * @param addressOffset the first source address used: 127.0.0.(2 + offset) onwards (see {@link #address})
     */
    static BenchFleet create(BenchSettings settings, URI serverUri, X509Certificate serverCertificate, int first,
            int count, int addressOffset, Duration lifetime) {
        return create(settings, serverUri, serverCertificate, first, count, addressOffset, lifetime, false);
    }

    /** @param reconnectOnUpdate whether devices do a new handshake before each registration update */
    static BenchFleet create(BenchSettings settings, URI serverUri, X509Certificate serverCertificate, int first,
            int count, int addressOffset, Duration lifetime, boolean reconnectOnUpdate) {
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(SCHEDULER_THREADS,
                threads("bench-fleet-"));
        IntFunction<SimulatedDevice> build = i -> {
            int n = first + i;
            String endpoint = endpoint(n);
            DeviceSecurity security = DeviceSecurity.forFleet(settings.security(), settings.fleetSecret(), endpoint,
                    serverCertificate == null ? null : serverCertificate.getPublicKey(), serverCertificate);
            return SimulatedDevice.builder(endpoint, Profile.values()[n % Profile.values().length])
                    .serverUri(serverUri).security(security).lifetime(lifetime).retryWait(Duration.ofSeconds(5))
                    .seed(n).sharedExecutor(scheduler).cipherSuites(settings.cipherSuites()).reconnectOnUpdate(reconnectOnUpdate)
                    .localAddress(address(addressOffset + i / Math.max(1, settings.devicesPerAddress()))).build();
        };
        // Key derivation (RPK, X.509) is CPU work: build in parallel.
        ExecutorService builders = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
                threads("bench-build-"));
        try {
            List<CompletableFuture<SimulatedDevice>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(CompletableFuture.supplyAsync(() -> build.apply(index), builders));
            }
            List<SimulatedDevice> devices = futures.stream().map(CompletableFuture::join).toList();
            return new BenchFleet(devices, scheduler);
        } finally {
            builders.shutdown();
        }
    }

    /** 127.0.(k / 250).(k % 250 + 2): never 127.0.0.1, where the server listens. */
    static InetAddress address(int k) {
        try {
            return InetAddress.getByAddress(new byte[] { 127, 0, (byte) (k / 250), (byte) (k % 250 + 2) });
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    List<SimulatedDevice> devices() {
        return devices;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** Starts every device as fast as {@code threads} threads can; each is timed from its own start. */
    void startAll(int threads) {
        ExecutorService starters = Executors.newFixedThreadPool(threads, threads("bench-start-"));
        try {
            List<CompletableFuture<Void>> started = new ArrayList<>();
            for (int i = 0; i < devices.size(); i++) {
                int index = i;
                started.add(CompletableFuture.runAsync(() -> {
                    startedAt[index] = System.nanoTime();
                    devices.get(index).start();
                }, starters));
            }
            CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).join();
        } finally {
            starters.shutdown();
        }
    }

    /** Waits until {@code expected} devices have registered at least once, or the timeout passes. */
    boolean awaitRegistered(int expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (registered.get() < expected) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return true;
    }

    /** Waits until every device has registered after {@code sinceNanos}; returns when the last one did, or -1. */
    long awaitAllRegisteredSince(long sinceNanos, Duration timeout) throws InterruptedException {
        return awaitAllSince(lastRegisteredAt, sinceNanos, timeout);
    }

    /** Like {@link #awaitAllRegisteredSince}, counting an accepted Update as well as a registration. */
    long awaitAllServedSince(long sinceNanos, Duration timeout) throws InterruptedException {
        return awaitAllSince(lastServedAt, sinceNanos, timeout);
    }

    int servedSince(long sinceNanos) {
        int count = 0;
        for (int i = 0; i < devices.size(); i++) {
            if (lastServedAt.get(i) > sinceNanos) {
                count++;
            }
        }
        return count;
    }

    private long awaitAllSince(AtomicLongArray lastRegisteredAt, long sinceNanos, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long last = 0;
            boolean all = true;
            for (int i = 0; i < devices.size(); i++) {
                long at = lastRegisteredAt.get(i);
                if (at <= sinceNanos) {
                    all = false;
                    break;
                }
                last = Math.max(last, at);
            }
            if (all) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                return -1;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    int registeredSince(long sinceNanos) {
        int count = 0;
        for (int i = 0; i < devices.size(); i++) {
            if (lastRegisteredAt.get(i) > sinceNanos) {
                count++;
            }
        }
        return count;
    }

    int registered() {
        return registered.get();
    }

    int failures() {
        return failures.get();
    }

    /** Start-to-registration times of the devices that registered. */
    Latencies registrationLatencies() {
        Latencies latencies = new Latencies();
        for (int i = 0; i < devices.size(); i++) {
            long at = firstRegisteredAt.get(i);
            if (at != 0) {
                latencies.add(at - startedAt[i]);
            }
        }
        return latencies;
    }

    long firstStart() {
        long first = Long.MAX_VALUE;
        for (long at : startedAt) {
            if (at != 0) {
                first = Math.min(first, at);
            }
        }
        return first;
    }

    long lastFirstRegistration() {
        long last = 0;
        for (int i = 0; i < devices.size(); i++) {
            last = Math.max(last, firstRegisteredAt.get(i));
        }
        return last;
    }

    /** Stops every device; with {@code deregister} false the server keeps their registrations (and sessions). */
    void stop(boolean deregister) {
        ExecutorService stopping = Executors.newFixedThreadPool(8, threads("bench-stop-"));
        try {
            CompletableFuture.allOf(devices.stream().map(device -> CompletableFuture.runAsync(() -> {
                try {
                    device.client().destroy(deregister);
                } catch (RuntimeException e) {
                    // a device that cannot stop cleanly is of no interest any more
                }
            }, stopping)).toArray(CompletableFuture[]::new)).join();
        } finally {
            stopping.shutdown();
            scheduler.shutdownNow();
        }
    }

    @Override
    public void close() {
        stop(false);
    }

    static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread thread = new Thread(r, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
