package org.lwm2mfleet.sim.fleet;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.leshan.client.send.ManualDataSender;
import org.eclipse.leshan.client.LeshanClient;
import org.eclipse.leshan.client.LeshanClientBuilder;
import org.eclipse.leshan.client.engine.DefaultRegistrationEngineFactory;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpoint;
import org.eclipse.leshan.transport.californium.client.endpoint.CaliforniumClientEndpointsProvider;
import org.eclipse.leshan.transport.californium.client.endpoint.coap.CoapClientProtocolProvider;
import org.eclipse.leshan.transport.californium.client.endpoint.coaps.CoapsClientProtocolProvider;
import org.lwm2mfleet.sim.objects.FirmwareUpdateObject;
import org.lwm2mfleet.sim.objects.SimulatedInstance;
import org.lwm2mfleet.sim.profiles.Profile;
import org.lwm2mfleet.sim.profiles.Profile.DeviceObjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated device: a real Leshan client (one Californium endpoint) with a profile's objects and its own
 * credentials. Values are computed from the clock when read, so the device has no thread of its own; given a shared
 * executor, its Leshan timers run there too.
 */
public final class SimulatedDevice {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedDevice.class);
    private static final int SHORT_SERVER_ID = 123;
    /** Long enough for the Execute response to leave before the endpoint stops, as Leshan's demo client waits too. */
    private static final Duration REBOOT_DELAY = Duration.ofSeconds(1);
    /** The largest firmware image a simulated device accepts. */
    public static final int MAX_FIRMWARE_BYTES = 16 * 1024 * 1024;

    /**
     * Blocking work of every device in the process: reboots (a de-registration waits for its answer) and firmware
     * downloads. Kept off the shared scheduler, whose few threads run Leshan's timers; threads exist only while
     * there is such work.
     */
    private static final ExecutorService BLOCKING_WORK = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "sim-blocking-work");
        thread.setDaemon(true);
        return thread;
    });
    /** One Californium configuration per list of cipher suites (the empty list: Leshan's defaults) and CID use. */
    private static final java.util.Map<ConfigurationKey, Configuration> CONFIGURATIONS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final String endpoint;
    private final Profile profile;
    private final DeviceObjects objects;
    private final FirmwareUpdateObject firmware;
    private final LeshanClient client;
    private final AtomicInteger registrations = new AtomicInteger();
    /** Between the device and the server when it plays NAT rebinding; else null. */
    private final NatRelay nat;

    private SimulatedDevice(Builder b) {
        this.endpoint = b.endpoint;
        this.profile = b.profile;
        this.objects = profile.objects(b.clock, serialNumber(b.endpoint), b.firmwareVersion, b.seed);
        this.firmware = new FirmwareUpdateObject(BLOCKING_WORK, this::californiumEndpoint, objects.device());

        BindingMode binding = BindingMode.U;
        Server server = new Server(SHORT_SERVER_ID, b.lifetime.toSeconds(), EnumSet.of(binding), false, binding);

        CaliforniumClientEndpointsProvider.Builder endpoints = new CaliforniumClientEndpointsProvider.Builder(
                new CoapClientProtocolProvider(), b.sharedExecutor != null ? SharedThreads.coapsProtocol()
                        : new CoapsClientProtocolProvider());
        endpoints.setConfiguration(californiumConfiguration(endpoints, b.cipherSuites, b.connectionId));
        InetAddress localAddress = b.localAddress != null ? b.localAddress : loopbackFor(b.serverUri);
        endpoints.setClientAddress(localAddress);
        URI serverUri = b.serverUri;
        if (b.behindNat) {
            nat = new NatRelay(endpoint, new InetSocketAddress(b.serverUri.getHost(), b.serverUri.getPort()),
                    localAddress != null ? localAddress : InetAddress.getLoopbackAddress());
            InetSocketAddress inside = nat.insideAddress();
            serverUri = URI.create(b.serverUri.getScheme() + "://" + inside.getAddress().getHostAddress() + ":"
                    + inside.getPort());
        } else {
            nat = null;
        }

        DefaultRegistrationEngineFactory engine = new DefaultRegistrationEngineFactory()
                .setRetryWaitingTimeInMs((int) b.retryWait.toMillis()).setReconnectOnUpdate(b.reconnectOnUpdate);
        if (b.wakeInterval != null) {
            // Queue mode: the device sleeps and wakes to update its registration every wakeInterval.
            engine.setQueueMode(true);
            engine.setCommunicationPeriod((int) b.wakeInterval.toMillis());
        }

        LeshanClientBuilder builder = new LeshanClientBuilder(endpoint);
        builder.setObjects(objects.enablers(
                b.security.securityInstance(serverUri.toString(), SHORT_SERVER_ID), server, firmware));
        builder.setEndpointsProviders(endpoints.build());
        builder.setRegistrationEngineFactory(b.lwm2m10 ? new Lwm2m10(engine) : engine);
        if (b.lwm2m10) {
            // Object links as a 1.0 client writes them (core objects' default versions are those of 1.0).
            builder.setLinkFormatHelper(new org.eclipse.leshan.client.util.LinkFormatHelper(
                    org.eclipse.leshan.core.LwM2m.LwM2mVersion.V1_0));
        }
        // Collected values carry the time they were read: a Send with SenML timestamps, as loggers send.
        builder.setDataSenders(new ManualDataSender());
        if (b.sharedExecutor != null) {
            builder.setSharedExecutor(b.sharedExecutor);
        }
        this.client = builder.build();
        if (b.sharedExecutor != null) {
            // In a fleet, the CoAP stack, DTLS handshakes and request timeouts run on threads shared by all devices.
            SharedThreads.share(client);
        }
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

    /** Starts the client: it registers, and registers again after failures (see {@link Builder#retryWait}). */
    public void start() {
        client.start();
    }

    public void stop(boolean deregister) {
        client.stop(deregister);
    }

    /** Stops for good, de-registering first; the endpoint and the client's own threads are released. */
    public void destroy() {
        try {
            client.destroy(true);
        } finally {
            if (nat != null) {
                nat.close();
            }
        }
    }

    /**
     * NAT rebinding (a device built {@link Builder#behindNat behind a NAT}): from now on the server sees the device's
     * datagrams come from a new source port, while the device keeps its DTLS session. With a Connection ID the server
     * follows the device; without one, the server no longer knows the sender and the device must handshake again.
     *
     * @return the new source port the server sees
     */
    public int rebindSourcePort() {
        if (nat == null) {
            throw new IllegalStateException(endpoint + " is not behind a NAT (Builder.behindNat)");
        }
        return nat.rebind();
    }

    /** The source port the server sees for a device behind a NAT; -1 for a device that is not. */
    public int natSourcePort() {
        return nat == null ? -1 : nat.outsidePort();
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

    /**
     * The first of the device's objects or value models of this type: {@code object(GasConcentration.class)},
     * {@code object(FanObjects.class)}, {@code object(DeviceObject.class)}, {@code object(BatteryObject.class)}...
     *
     * @throws NoSuchElementException when the profile has none
     */
    public <T> T object(Class<T> type) {
        return Stream.concat(Stream.of(objects.model(), objects.device(), firmware), objects.all().stream())
                .filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new NoSuchElementException(profile.cliName() + " has no " + type.getSimpleName()));
    }

    /** The device's Firmware Update object (5). */
    public FirmwareUpdateObject firmware() {
        return firmware;
    }

    /** Whether the client holds a current registration with the server. */
    public boolean isRegistered() {
        return !client.getRegisteredServers().isEmpty();
    }

    /** How many times the device has registered successfully since it was built (a reboot adds one). */
    public int registrationCount() {
        return registrations.get();
    }

    /** Tells observers that time-varying resources changed; the fleet calls it periodically. */
    public void tick() {
        objects.byObjectId().values().forEach(SimulatedInstance::tick);
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
        var response = client.getSendService().sendData(servers.iterator().next(), ContentFormat.SENML_CBOR, paths,
                timeout.toMillis());
        return response != null && response.isSuccess();
    }

    /**
     * Reads {@code paths} now and sends them with their read time as SenML timestamps (Leshan's
     * {@link ManualDataSender}, SenML-JSON), without waiting for the answer.
     */
    public void sendTimestamped(List<String> paths) throws Exception {
        var servers = client.getRegisteredServers().values();
        if (servers.isEmpty()) {
            throw new IllegalStateException(endpoint + " is not registered");
        }
        ManualDataSender sender = client.getSendService().getDataSender(ManualDataSender.DEFAULT_NAME,
                ManualDataSender.class);
        sender.collectData(paths.stream().map(org.eclipse.leshan.core.node.LwM2mPath::new).toList());
        sender.sendCollectedData(servers.iterator().next(), ContentFormat.SENML_JSON, 10_000, false);
    }

    /** Sends the current values of {@code paths} (LwM2M Send, SenML-CBOR) without waiting; a failure is logged. */
    public void sendAsync(List<String> paths) {
        var servers = client.getRegisteredServers().values();
        if (servers.isEmpty()) {
            return;
        }
        client.getSendService().sendData(servers.iterator().next(), ContentFormat.SENML_CBOR, paths, 10_000,
                response -> {
                    if (response.isFailure()) {
                        LOG.debug("{} send refused: {}", endpoint, response.getCode());
                    }
                }, error -> LOG.debug("{} send failed: {}", endpoint, error.toString()));
    }

    /**
     * Execute on /3/0/4, or an installed firmware: answer first, then restart the client like a device that reboots.
     * It de-registers and registers anew, so the server sees a fresh registration.
     */
    private void reboot() {
        LOG.info("{} reboots", endpoint);
        CompletableFuture.runAsync(() -> {
            client.stop(true);
            objects.device().rebooted();
            client.start();
        }, CompletableFuture.delayedExecutor(REBOOT_DELAY.toMillis(), TimeUnit.MILLISECONDS, BLOCKING_WORK))
                .exceptionally(e -> {
                    LOG.warn("{} reboot failed: {}", endpoint, e.toString());
                    return null;
                });
    }

    /**
     * One Californium configuration for every simulated device, with room for firmware images: Californium refuses
     * block-wise bodies over 8 KiB by default.
     */
    private static Configuration californiumConfiguration(CaliforniumClientEndpointsProvider.Builder endpoints,
            List<String> cipherSuites, boolean connectionId) {
        return CONFIGURATIONS.computeIfAbsent(new ConfigurationKey(cipherSuites, connectionId), key -> {
            List<String> suites = key.cipherSuites();
            Configuration configuration = endpoints.createDefaultConfiguration();
            configuration.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, MAX_FIRMWARE_BYTES);
            // RFC 9146 as constrained devices use it: the server's records to us carry no id (length 0), ours to the
            // server carry the id it gave us, so it finds our session whatever address we come from. Without it, -1:
            // Scandium's default would be on (6 bytes), and many field devices have no Connection ID.
            configuration.set(org.eclipse.californium.scandium.config.DtlsConfig.DTLS_CONNECTION_ID_LENGTH,
                    key.connectionId() ? 0 : -1);
            if (!suites.isEmpty()) {
                configuration.setAsList(org.eclipse.californium.scandium.config.DtlsConfig.DTLS_CIPHER_SUITES,
                        suites.stream().map(org.eclipse.californium.scandium.dtls.cipher.CipherSuite::valueOf)
                                .toArray(org.eclipse.californium.scandium.dtls.cipher.CipherSuite[]::new));
            }
            return configuration;
        });
    }

    private record ConfigurationKey(List<String> cipherSuites, boolean connectionId) {
    }

    /** The device's own Californium endpoint for a URI's scheme: a download reuses the DTLS session it has. */
    private Endpoint californiumEndpoint(URI uri) {
        for (var provider : client.getEndpointsProvider()) {
            if (provider instanceof CaliforniumClientEndpointsProvider californium) {
                for (var lwm2mEndpoint : californium.getEndpoints()) {
                    if (lwm2mEndpoint.getURI().getScheme().equals(uri.getScheme())
                            && lwm2mEndpoint instanceof CaliforniumClientEndpoint cf) {
                        return cf.getCoapEndpoint();
                    }
                }
            }
        }
        return null;
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
        private List<String> cipherSuites = List.of();
        private boolean reconnectOnUpdate;
        private boolean lwm2m10;
        private boolean connectionId;
        private boolean behindNat;

        private Builder(String endpoint, Profile profile) {
            this.endpoint = Objects.requireNonNull(endpoint);
            this.profile = Objects.requireNonNull(profile);
            this.seed = endpoint.hashCode();
        }

        /** coap://host:port or coaps://host:port (required). */
        public Builder serverUri(URI serverUri) {
            this.serverUri = serverUri;
            return this;
        }

        /** Default: no security. */
        public Builder security(DeviceSecurity security) {
            this.security = Objects.requireNonNull(security);
            return this;
        }

        /** Registration lifetime; default 5 minutes. */
        public Builder lifetime(Duration lifetime) {
            this.lifetime = lifetime;
            return this;
        }

        /** How long to wait before registering again after a failed attempt (Leshan's default is 10 minutes). */
        public Builder retryWait(Duration retryWait) {
            this.retryWait = retryWait;
            return this;
        }

        /** The clock the value models read; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Seed of the value models; default the endpoint's hash. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Firmware Version (/3/0/3) at start; default "1.0.0". */
        public Builder firmwareVersion(String firmwareVersion) {
            this.firmwareVersion = firmwareVersion;
            return this;
        }

        /** Where Leshan's timers run; default a few threads of the client's own. */
        public Builder sharedExecutor(ScheduledExecutorService executor) {
            this.sharedExecutor = executor;
            return this;
        }

        /** Local address to bind; default the server's address when that is loopback, else any. */
        public Builder localAddress(InetAddress localAddress) {
            this.localAddress = localAddress;
            return this;
        }

        /** Queue mode: the device sleeps, waking every {@code wakeInterval} to update its registration. */
        /**
         * DTLS cipher suites the device offers, by their IANA names (e.g. TLS_PSK_WITH_AES_128_CCM_8, the LwM2M
         * mandatory PSK suite, which many constrained devices offer alone); default (empty): Leshan's defaults.
         */
        public Builder cipherSuites(List<String> cipherSuites) {
            this.cipherSuites = List.copyOf(cipherSuites);
            return this;
        }

        /**
         * A new DTLS handshake before every registration update, as devices behind NATs or waking from deep sleep do
         * (default: no, the session is reused).
         */
        public Builder reconnectOnUpdate(boolean reconnect) {
            this.reconnectOnUpdate = reconnect;
            return this;
        }

        /** Registers as an LwM2M 1.0 device (default: 1.1, Leshan's version); see {@link Lwm2m10}. */
        public Builder lwm2m10(boolean lwm2m10) {
            this.lwm2m10 = lwm2m10;
            return this;
        }

        /**
         * DTLS Connection ID (RFC 9146): the device offers to use the one the server gives it, so that its session
         * survives a change of its address (default: no).
         */
        public Builder connectionId(boolean connectionId) {
            this.connectionId = connectionId;
            return this;
        }

        /**
         * The device talks to the server through a NAT of its own (a UDP relay on its local address), whose source
         * port {@link SimulatedDevice#rebindSourcePort()} changes, as cellular NATs do after a silence (default: no).
         */
        public Builder behindNat(boolean behindNat) {
            this.behindNat = behindNat;
            return this;
        }

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
