package org.lwm2mfleet.sim.fleet;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.leshan.client.LeshanClient;
import org.eclipse.leshan.client.LeshanClientBuilder;
import org.eclipse.leshan.client.engine.DefaultRegistrationEngineFactory;
import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.resource.BaseInstanceEnablerFactory;
import org.eclipse.leshan.client.resource.LwM2mInstanceEnabler;
import org.eclipse.leshan.client.resource.LwM2mObjectEnabler;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.LwM2mId;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpointsProvider;
import org.eclipse.leshan.transport.californium.client.endpoint.coap.CoapClientProtocolProvider;
import org.eclipse.leshan.transport.californium.client.endpoint.coaps.CoapsClientProtocolProvider;
import org.lwm2mfleet.sim.objects.FirmwareUpdateObject;
import org.lwm2mfleet.sim.objects.SimulatedInstance;
import org.lwm2mfleet.sim.objects.StoredInstance;
import org.lwm2mfleet.sim.profiles.Profile;
import org.lwm2mfleet.sim.profiles.Profile.DeviceObjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One simulated device: a real Leshan client with a profile's objects and its own credentials. */
public final class SimulatedDevice {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedDevice.class);
    private static final int SHORT_SERVER_ID = 123;
    /** What Create makes: an instance that keeps the values it is given (see {@link StoredInstance}). */
    private static final BaseInstanceEnablerFactory CREATE_STORED = new BaseInstanceEnablerFactory() {
        @Override
        public LwM2mInstanceEnabler create() {
            return new StoredInstance();
        }
    };

    private final String endpoint;
    private final Profile profile;
    private final DeviceObjects objects;
    private final LeshanClient client;
    private final AtomicInteger registrations = new AtomicInteger();
    private final FirmwareUpdateObject firmware;
    /** Downloads and installs of devices that have no shared executor (single devices, tests). */
    private static final java.util.concurrent.ExecutorService FIRMWARE_WORKER = java.util.concurrent.Executors
            .newCachedThreadPool(r -> {
                Thread thread = new Thread(r, "sim-firmware");
                thread.setDaemon(true);
                return thread;
            });

    private SimulatedDevice(Builder b) {
        this.endpoint = b.endpoint;
        this.profile = b.profile;
        this.objects = profile.objects(b.clock, serialNumber(b.endpoint), b.firmwareVersion, b.seed);

        ObjectsInitializer initializer = new ObjectsInitializer(Models.MODEL);
        initializer.setInstancesForObject(LwM2mId.SECURITY, security(b.serverUri.toString(), b.security));
        BindingMode binding = BindingMode.U;
        initializer.setInstancesForObject(LwM2mId.SERVER,
                new Server(SHORT_SERVER_ID, b.lifetime.toSeconds(), EnumSet.of(binding), false, binding));
        this.firmware = new FirmwareUpdateObject(b.sharedExecutor != null ? b.sharedExecutor : FIRMWARE_WORKER,
                this::californiumEndpoint, objects.device());
        initializer.setInstancesForObject(LwM2mId.FIRMWARE, firmware);
        initializer.setFactoryForObject(LwM2mId.FIRMWARE, CREATE_STORED);
        objects.byObjectId().forEach((id, instance) -> {
            initializer.setInstancesForObject(id, instance);
            // Leshan wants a factory for Create: created instances keep the values they are given.
            initializer.setFactoryForObject(id, CREATE_STORED);
        });
        List<LwM2mObjectEnabler> enablers = initializer.createAll();

        CaliforniumClientEndpointsProvider.Builder endpoints = new CaliforniumClientEndpointsProvider.Builder(
                new CoapClientProtocolProvider(), new CoapsClientProtocolProvider());
        endpoints.setConfiguration(californiumConfiguration(endpoints));
        endpoints.setClientAddress(b.localAddress != null ? b.localAddress : loopbackFor(b.serverUri));

        LeshanClientBuilder builder = new LeshanClientBuilder(endpoint);
        builder.setObjects(enablers);
        builder.setEndpointsProviders(endpoints.build());
        DefaultRegistrationEngineFactory engine = new DefaultRegistrationEngineFactory()
                .setRetryWaitingTimeInMs((int) b.retryWait.toMillis());
        if (b.wakeInterval != null) {
            // Queue mode: the device sleeps and wakes to update its registration every wakeInterval.
            engine.setQueueMode(true);
            engine.setCommunicationPeriod((int) b.wakeInterval.toMillis());
        }
        builder.setRegistrationEngineFactory(engine);
        if (b.sharedExecutor != null) {
            builder.setSharedExecutor(b.sharedExecutor);
        }
        this.client = builder.build();
        client.addObserver(new LwM2mClientObserverAdapter() {
            @Override
            public void onRegistrationSuccess(LwM2mServer server, RegisterRequest request, String registrationId) {
                registrations.incrementAndGet();
                LOG.debug("{} registered as {}", endpoint, registrationId);
            }
        });
        objects.device().onReboot(this::reboot);
        firmware.onReboot(this::reboot);
    }

    public static Builder builder(String endpoint, Profile profile) {
        return new Builder(endpoint, profile);
    }

    public void start() {
        client.start();
    }

    public void stop(boolean deregister) {
        client.stop(deregister);
    }

    public void destroy() {
        client.destroy(true);
    }

    public String endpoint() {
        return endpoint;
    }

    public Profile profile() {
        return profile;
    }

    public LeshanClient client() {
        return client;
    }

    /** The objects this device runs, to drive them (trigger a gas event, read the fan's state). */
    public DeviceObjects objects() {
        return objects;
    }

    public boolean isRegistered() {
        return !client.getRegisteredServers().isEmpty();
    }

    /** How many times the device has registered successfully since it was built. */
    public int registrationCount() {
        return registrations.get();
    }

    /**
     * Sends the current values of {@code paths} to the server (LwM2M 1.1 Send, SenML-CBOR), waiting at most
     * {@code timeout}; returns whether the server accepted them.
     */
    public boolean sendNow(List<String> paths, Duration timeout) throws InterruptedException {
        var servers = client.getRegisteredServers().values();
        if (servers.isEmpty()) {
            return false;
        }
        var response = client.getSendService().sendData(servers.iterator().next(),
                org.eclipse.leshan.core.request.ContentFormat.SENML_CBOR, paths, timeout.toMillis());
        return response != null && response.isSuccess();
    }

    /** Sends the current values of {@code paths} (LwM2M Send, SenML-CBOR) without waiting; a failure is logged. */
    public void sendAsync(List<String> paths) {
        var servers = client.getRegisteredServers().values();
        if (servers.isEmpty()) {
            return;
        }
        client.getSendService().sendData(servers.iterator().next(),
                org.eclipse.leshan.core.request.ContentFormat.SENML_CBOR, paths, 10_000, response -> {
                    if (response.isFailure()) {
                        LOG.debug("{} send refused: {}", endpoint, response.getCode());
                    }
                }, error -> LOG.debug("{} send failed: {}", endpoint, error.toString()));
    }

    /** The device's Firmware Update object (5). */
    public FirmwareUpdateObject firmware() {
        return firmware;
    }

    private static volatile org.eclipse.californium.elements.config.Configuration sharedConfiguration;

    /**
     * One Californium configuration for every simulated device, with room for firmware images: Californium refuses
     * block-wise bodies over 8 KiB by default.
     */
    private static org.eclipse.californium.elements.config.Configuration californiumConfiguration(
            CaliforniumClientEndpointsProvider.Builder endpoints) {
        if (sharedConfiguration == null) {
            var configuration = endpoints.createDefaultConfiguration();
            configuration.set(org.eclipse.californium.core.config.CoapConfig.MAX_RESOURCE_BODY_SIZE,
                    MAX_FIRMWARE_BYTES);
            sharedConfiguration = configuration;
        }
        return sharedConfiguration;
    }

    /** The largest firmware image a simulated device accepts. */
    public static final int MAX_FIRMWARE_BYTES = 16 * 1024 * 1024;

    /** The device's own Californium endpoint for a URI's scheme: a download reuses the DTLS session it has. */
    private org.eclipse.californium.core.network.Endpoint californiumEndpoint(URI uri) {
        for (var endpoint : client.getEndpointsProvider().iterator().next() instanceof CaliforniumClientEndpointsProvider p
                ? p.getEndpoints() : List.<org.eclipse.leshan.client.endpoint.LwM2mClientEndpoint>of()) {
            if (endpoint.getURI().getScheme().equals(uri.getScheme())
                    && endpoint instanceof org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpoint cf) {
                return cf.getCoapEndpoint();
            }
        }
        return null;
    }

    /** Tells observers that time-varying resources changed; the fleet calls it periodically. */
    public void tick() {
        objects.byObjectId().values().forEach(SimulatedInstance::tick);
    }

    /** Execute on /3/0/4: answer first, then restart the client like a device that reboots. */
    private void reboot() {
        Thread rebooter = new Thread(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(1000); // let the Execute response leave before the endpoint stops
                client.stop(true);
                client.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reboot-" + endpoint);
        rebooter.setDaemon(true);
        rebooter.start();
    }

    private static Security security(String uri, DeviceSecurity security) {
        return switch (security.mode()) {
        case NONE -> Security.noSec(uri, SHORT_SERVER_ID);
        case PSK -> Security.psk(uri, SHORT_SERVER_ID,
                security.pskIdentity().getBytes(java.nio.charset.StandardCharsets.UTF_8), security.pskKey());
        case RPK -> Security.rpk(uri, SHORT_SERVER_ID, security.keyPair().getPublic().getEncoded(),
                security.keyPair().getPrivate().getEncoded(), security.serverPublicKey().getEncoded());
        case X509 -> {
            try {
                yield Security.x509(uri, SHORT_SERVER_ID, security.certificate().getEncoded(),
                        security.keyPair().getPrivate().getEncoded(), security.serverCertificate().getEncoded());
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalArgumentException("unusable certificate", e);
            }
        }
        };
    }

    /** A device talking to a loopback server binds to loopback too (tests and the demo never leave the machine). */
    private static InetAddress loopbackFor(URI server) {
        try {
            InetAddress host = InetAddress.getByName(server.getHost());
            return host.isLoopbackAddress() ? host : null;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown server host " + server.getHost(), e);
        }
    }

    private static String serialNumber(String endpoint) {
        return String.format("SN%08X", endpoint.hashCode());
    }

    /** Everything a device can be configured with; only endpoint, profile and server are required. */
    public static final class Builder {
        private final String endpoint;
        private final Profile profile;
        private URI serverUri;
        private DeviceSecurity security = DeviceSecurity.none();
        private Duration lifetime = Duration.ofMinutes(5);
        private Duration retryWait = Duration.ofSeconds(60);
        private Clock clock = Clock.systemUTC();
        private long seed;
        private String firmwareVersion = "1.0.0";
        private ScheduledExecutorService sharedExecutor;
        private InetAddress localAddress;
        private Duration wakeInterval;

        private Builder(String endpoint, Profile profile) {
            this.endpoint = Objects.requireNonNull(endpoint);
            this.profile = Objects.requireNonNull(profile);
            this.seed = endpoint.hashCode();
        }

        public Builder serverUri(URI serverUri) {
            this.serverUri = serverUri;
            return this;
        }

        public Builder security(DeviceSecurity security) {
            this.security = security;
            return this;
        }

        public Builder lifetime(Duration lifetime) {
            this.lifetime = lifetime;
            return this;
        }

        /** How long to wait before registering again after a failed attempt (Leshan's default is 10 minutes). */
        public Builder retryWait(Duration retryWait) {
            this.retryWait = retryWait;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder firmwareVersion(String firmwareVersion) {
            this.firmwareVersion = firmwareVersion;
            return this;
        }

        public Builder sharedExecutor(ScheduledExecutorService executor) {
            this.sharedExecutor = executor;
            return this;
        }

        public Builder localAddress(InetAddress localAddress) {
            this.localAddress = localAddress;
            return this;
        }

        /** Queue mode: the device sleeps, waking every {@code wakeInterval} to update its registration. */
        public Builder queueMode(Duration wakeInterval) {
            this.wakeInterval = wakeInterval;
            return this;
        }

        public SimulatedDevice build() {
            if (serverUri == null) {
                throw new IllegalStateException("serverUri is required");
            }
            return new SimulatedDevice(this);
        }
    }
}
