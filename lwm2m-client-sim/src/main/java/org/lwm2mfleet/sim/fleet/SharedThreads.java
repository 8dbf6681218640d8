package org.lwm2mfleet.sim.fleet;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.californium.elements.Connector;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.util.ExecutorsUtil;
import org.eclipse.californium.elements.util.ProtocolScheduledExecutorService;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.leshan.client.LeshanClient;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpointFactory;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpointsProvider;
import org.eclipse.leshan.transport.californium.client.endpoint.coaps.CoapsClientEndpointFactory;
import org.eclipse.leshan.transport.californium.client.endpoint.coaps.CoapsClientProtocolProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threads shared by every simulated device of the process. Left alone, each Leshan client owns a CoAP protocol
 * thread, a DTLS worker thread and an async-request timer thread besides its DTLS receiver: with thousands of
 * devices, starting them is dominated by thread creation. Here they share one Californium protocol executor (CoAP
 * stack and DTLS handshakes) and one timer; only the socket receiver stays per device.
 */
final class SharedThreads {

    private static final Logger LOG = LoggerFactory.getLogger(SharedThreads.class);
    private static final int THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static volatile ProtocolScheduledExecutorService protocol;
    private static volatile ScheduledExecutorService timer;
    /** Per Californium configuration (one per cipher suite list, shared by the devices), the DTLS root builder. */
    private static final java.util.Map<Configuration, DtlsConnectorConfig.Builder> ROOT_DTLS_BUILDERS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private SharedThreads() {
    }

    /** The process's Californium executor (created on first use; daemon threads, never shut down). */
    static ProtocolScheduledExecutorService protocol() {
        if (protocol == null) {
            synchronized (SharedThreads.class) {
                if (protocol == null) {
                    protocol = ExecutorsUtil.newProtocolScheduledThreadPool(THREADS, daemon("sim-coap-"));
                }
            }
        }
        return protocol;
    }

    /** A timer for Leshan's async request timeouts, which the clients may "shut down" without harm. */
    static ScheduledExecutorService timer() {
        if (timer == null) {
            synchronized (SharedThreads.class) {
                if (timer == null) {
                    timer = new Unstoppable(ExecutorsUtil.newScheduledThreadPool(1, daemon("sim-timeouts-")));
                }
            }
        }
        return timer;
    }

    /** CoAPS endpoints whose DTLS connector runs on the shared executor. */
    static CoapsClientProtocolProvider coapsProtocol() {
        return new CoapsClientProtocolProvider() {
            @Override
            public CaliforniumClientEndpointFactory createDefaultEndpointFactory() {
                return new CoapsClientEndpointFactory() {
                    /**
                     * Leshan copies the whole Californium configuration into a new root builder for every endpoint,
                     * then copies it again for the device's own settings: the first copy was a quarter of the
                     * simulator's CPU in a register-storm (JFR). The root holds nothing of the device's, so one per
                     * configuration is shared; Leshan only reads it and clones it.
                     */
                    @Override
                    protected DtlsConnectorConfig.Builder createRootDtlsConnectorConfigBuilder(
                            Configuration configuration) {
                        return ROOT_DTLS_BUILDERS.computeIfAbsent(configuration,
                                super::createRootDtlsConnectorConfigBuilder);
                    }

                    @Override
                    protected Connector createSecuredConnector(DtlsConnectorConfig config) {
                        Connector connector = super.createSecuredConnector(config);
                        if (connector instanceof DTLSConnector dtls) {
                            dtls.setExecutor(protocol());
                        }
                        return connector;
                    }
                };
            }
        };
    }

    /** Moves a built client's CoAP server and async timer onto the shared threads (before it starts). */
    static void share(LeshanClient client) {
        for (var provider : client.getEndpointsProvider()) {
            if (provider instanceof CaliforniumClientEndpointsProvider californium) {
                if (californium.getCoapServer() != null) {
                    californium.getCoapServer().setExecutor(protocol(), true);
                }
                try {
                    Field executor = CaliforniumClientEndpointsProvider.class.getDeclaredField("executor");
                    executor.setAccessible(true);
                    ((ScheduledExecutorService) executor.get(californium)).shutdownNow(); // no thread started yet
                    executor.set(californium, timer());
                } catch (ReflectiveOperationException | RuntimeException e) {
                    LOG.debug("cannot share Leshan's async timer; the client keeps its own thread", e);
                }
            }
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread thread = new Thread(r, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** A scheduled executor whose shutdown is a no-op: one client stopping must not stop the others' timer. */
    private record Unstoppable(ScheduledExecutorService delegate) implements ScheduledExecutorService {
        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return delegate.schedule(command, delay, unit);
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            return delegate.schedule(callable, delay, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
                TimeUnit unit) {
            return delegate.scheduleAtFixedRate(command, initialDelay, period, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
                TimeUnit unit) {
            return delegate.scheduleWithFixedDelay(command, initialDelay, delay, unit);
        }

        @Override
        public void shutdown() {
            // shared
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }

        @Override
        public <T> Future<T> submit(Callable<T> task) {
            return delegate.submit(task);
        }

        @Override
        public <T> Future<T> submit(Runnable task, T result) {
            return delegate.submit(task, result);
        }

        @Override
        public Future<?> submit(Runnable task) {
            return delegate.submit(task);
        }

        @Override
        public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
            return delegate.invokeAll(tasks);
        }

        @Override
        public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
                throws InterruptedException {
            return delegate.invokeAll(tasks, timeout, unit);
        }

        @Override
        public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
                throws InterruptedException, ExecutionException {
            return delegate.invokeAny(tasks);
        }

        @Override
        public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
                throws InterruptedException, ExecutionException, TimeoutException {
            return delegate.invokeAny(tasks, timeout, unit);
        }

        @Override
        public void execute(Runnable command) {
            delegate.execute(command);
        }
    }
}
