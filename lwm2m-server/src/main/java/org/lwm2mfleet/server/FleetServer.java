package org.lwm2mfleet.server;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpointsProvider;
import org.lwm2mfleet.models.ObjectModels;
import org.lwm2mfleet.server.api.ApiHandler;
import org.lwm2mfleet.server.api.EventStreamHandler;
import org.lwm2mfleet.server.api.HttpsConnector;
import org.lwm2mfleet.server.api.OpenApiResource;
import org.lwm2mfleet.server.api.Router;
import org.lwm2mfleet.server.api.SecurityHeadersHandler;
import org.lwm2mfleet.server.api.SystemResource;
import org.lwm2mfleet.server.auth.AccessGate;
import org.lwm2mfleet.server.auth.AccessResource;
import org.lwm2mfleet.server.auth.ApiTokens;
import org.lwm2mfleet.server.auth.AuditLog;
import org.lwm2mfleet.server.auth.Authenticator;
import org.lwm2mfleet.server.auth.FirstAdmin;
import org.lwm2mfleet.server.auth.LoginThrottle;
import org.lwm2mfleet.server.auth.PasswordHasher;
import org.lwm2mfleet.server.auth.Role;
import org.lwm2mfleet.server.auth.Sessions;
import org.lwm2mfleet.server.auth.Users;
import org.lwm2mfleet.server.config.ServerConfig;
import org.lwm2mfleet.server.demo.DemoFleet;
import org.lwm2mfleet.server.device.DeviceResource;
import org.lwm2mfleet.server.device.CertificateCheck;
import org.lwm2mfleet.server.device.DeviceService;
import org.lwm2mfleet.server.device.DeviceStatus;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.lwm2m.FleetAuthorizer;
import org.lwm2mfleet.server.lwm2m.FleetSecurityStore;
import org.lwm2mfleet.server.firmware.CampaignResource;
import org.lwm2mfleet.server.firmware.Campaigns;
import org.lwm2mfleet.server.firmware.DownloadResource;
import org.lwm2mfleet.server.firmware.FirmwareImages;
import org.lwm2mfleet.server.firmware.FirmwareInventory;
import org.lwm2mfleet.server.firmware.FirmwareResource;
import org.lwm2mfleet.server.firmware.FirmwareUpdates;
import org.lwm2mfleet.server.firmware.LinkAccess;
import org.lwm2mfleet.server.lwm2m.DtlsFailureListener;
import org.lwm2mfleet.server.lwm2m.LeshanServerFactory;
import org.lwm2mfleet.server.lwm2m.PersistentRegistrationStore;
import org.lwm2mfleet.server.lwm2m.Reachability;
import org.lwm2mfleet.server.lwm2m.RegistrationBridge;
import org.lwm2mfleet.server.lwm2m.ReportingBridge;
import org.lwm2mfleet.server.lwm2m.ServerIdentity;
import org.lwm2mfleet.server.models.ModelResource;
import org.lwm2mfleet.server.ops.DeviceOperations;
import org.lwm2mfleet.server.ops.ObservationRegistry;
import org.lwm2mfleet.server.ops.OperationDispatcher;
import org.lwm2mfleet.server.ops.PendingOperations;
import org.lwm2mfleet.server.ops.ObservationRestorer;
import org.lwm2mfleet.server.ops.OperationLog;
import org.lwm2mfleet.server.ops.OperationsResource;
import org.lwm2mfleet.server.telemetry.TelemetryResource;
import org.lwm2mfleet.server.telemetry.TelemetryService;
import org.lwm2mfleet.server.telemetry.TelemetryWriter;
import org.lwm2mfleet.server.rules.RuleEngine;
import org.lwm2mfleet.server.rules.AlertResource;
import org.lwm2mfleet.server.rules.Alerts;
import org.lwm2mfleet.server.rules.RuleResource;
import org.lwm2mfleet.server.rules.Rules;
import org.lwm2mfleet.server.runtime.Parts;
import org.lwm2mfleet.server.runtime.Scheduler;
import org.lwm2mfleet.server.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The whole server, wired by hand: this file is the table of contents. {@link #start} first builds every part in
 * dependency order (constructors only store their collaborators), then starts the parts in one visible order (see
 * {@code parts} at its end); {@link #close} stops them in the reverse order. A start that fails stops what it had
 * started and closes the database before the failure propagates.
 */
public final class FleetServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetServer.class);
    /**
     * Threads of the shared background pool: the jobs are short but for a retention pass, and while one runs the other
     * thread keeps the once-a-second jobs (pending-operation expiry, refused sign-in counts) on time.
     */
    private static final int SCHEDULER_THREADS = 2;

    private final Database database;
    private final DeviceService devices;
    private final LeshanServer leshan;
    private final Server http;
    private final EventStreamHandler eventStream;
    private final ServerIdentity identity;
    private final EventBus events;
    /** Every part in start order; closed in reverse, so the sockets stop before the writers that store what they took. */
    private final Parts parts;
    private DemoFleet demo;
    private List<Router.Route> routes = List.of();

    private FleetServer(Database database, DeviceService devices, LeshanServer leshan, Server http,
            EventStreamHandler eventStream, ServerIdentity identity, EventBus events, Parts parts) {
        this.parts = parts;
        this.database = database;
        this.devices = devices;
        this.leshan = leshan;
        this.http = http;
        this.eventStream = eventStream;
        this.identity = identity;
        this.events = events;
    }

    public static FleetServer start(ServerConfig config) throws Exception {
        return start(config, Clock.systemUTC());
    }

    /** @param clock the server's time: tests pass one they can move forward to see what waiting would do */
    public static FleetServer start(ServerConfig config, Clock clock) throws Exception {
        // Owner only: the database holds device keys, the folder the server's private keys.
        org.lwm2mfleet.server.store.OwnerOnly.createDirectories(config.dataDir());

        // Object models: shipped registry definitions plus the operator's folder.
        List<ObjectModel> models = ObjectModels.allWithExtraFolder(config.modelsDir());
        LwM2mModelRepository modelRepository = new LwM2mModelRepository(models);
        ServerIdentity identity = ServerIdentity.load(config);

        // Store and metrics. The database is the one part started while building: the rooms are built on it.
        Database database = Database.open(config.effectiveDatabaseUrl(), config.database().user(),
                config.database().password(), config.database().poolSize());
        try {
            return build(config, clock, models, modelRepository, identity, database);
        } catch (Exception | Error e) {
            // build closed what it had started; a failure before the parts existed leaves the database to close here.
            database.close();
            throw e;
        }
    }

    private static FleetServer build(ServerConfig config, Clock clock, List<ObjectModel> models,
            LwM2mModelRepository modelRepository, ServerIdentity identity, Database database) throws Exception {
        Scheduler scheduler = new Scheduler(SCHEDULER_THREADS);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        EventBus events = new EventBus(clock);

        // Device registry, and its credentials in memory for the DTLS side.
        // What an open plain-CoAP port let in and that has gone quiet does not stay for ever.
        DeviceService devices = new DeviceService(database.jdbc(), events, clock,
                new CertificateCheck(identity.trustedCertificates(), clock), scheduler, config.unknownDeviceExpiry(),
                config.registrationCleanupPeriod());
        // Registrations and observations kept across a restart (read at start, see the "kept registrations" part).
        PersistentRegistrationStore registrationStore = new PersistentRegistrationStore(database.jdbc(),
                config.registrationCleanupPeriod());
        FleetSecurityStore securityStore = new FleetSecurityStore();
        for (DeviceStatus status : DeviceStatus.values()) {
            Gauge.builder("lwm2m.devices", devices, d -> d.countByStatus().get(status))
                    .tag("status", status.name().toLowerCase()).register(meters);
        }

        // LwM2M: Leshan with our security store, authorizer and registration bridge.
        LeshanServer leshan = LeshanServerFactory.create(config, identity, models, securityStore,
                new FleetAuthorizer(securityStore, config.acceptsUnknownCoapDevices(), meters, events),
                new DtlsFailureListener(meters, events, securityStore, devices.sessions()), clock, registrationStore);
        LeshanServerFactory.guardUplinks(leshan, meters, clock);
        RegistrationBridge bridge = new RegistrationBridge(devices, leshan.getRegistrationStore(), meters);
        leshan.getRegistrationService().addListener(bridge);
        leshan.getPresenceService().addListener(bridge);
        devices.setLiveRegistrations(bridge);
        // Operations and observations on devices, and their log.
        OperationLog operationLog = new OperationLog(database.jdbc());
        ObservationRegistry observations = new ObservationRegistry(database.jdbc(), clock);
        DeviceOperations operations = new DeviceOperations(leshan, devices, config.requestTimeout(), meters,
                operationLog, observations, clock);
        ObservationRestorer restorer = new ObservationRestorer(observations, operations, events);
        OperationDispatcher dispatcher = new OperationDispatcher(operations, leshan);
        PendingOperations pending = new PendingOperations(database.jdbc(), dispatcher, events, clock,
                config.pendingExpiry(), scheduler);

        // Telemetry: notifications and Send reports into time series, written in batches off the CoAP threads.
        var telemetryStore = org.lwm2mfleet.server.telemetry.TelemetryStores.forDatabase(database, clock);
        TelemetryWriter telemetryWriter = new TelemetryWriter(telemetryStore, config.telemetryBacklog(), 500,
                Duration.ofMillis(100), meters);
        TelemetryService telemetry = new TelemetryService(telemetryStore, clock, config.telemetryRetention(),
                Duration.ofMinutes(1), scheduler);
        ReportingBridge reporting = new ReportingBridge(telemetryWriter, events, clock,
                new org.lwm2mfleet.server.telemetry.DeviceTimestamps(clock, config.telemetryRetention(), meters));
        dispatcher.setLastKnown(endpoint -> telemetry.latest(endpoint).stream().map(TelemetryService::json).toList(),
                clock);

        // Firmware: images on disk, downloads over the server's own CoAP(S) endpoints, per-device updates.
        FirmwareImages firmwareImages = new FirmwareImages(database.jdbc(), config.dataDir().resolve("firmware"),
                config.firmwareMaxBytes(), clock);
        Reachability reachable = new Reachability(leshan.getRegistrationService(), leshan.getPresenceService());
        FirmwareUpdates firmwareUpdates = new FirmwareUpdates(database.jdbc(), firmwareImages, devices, operations,
                events, clock, (registration, scheme) -> downloadBase(registration, scheme, config,
                        scheme.equals("coaps") ? leshan.getEndpoint(Protocol.COAPS).getURI().getPort()
                                : leshan.getEndpoint(Protocol.COAP).getURI().getPort()),
                endpoint -> leshan.getRegistrationService().getByEndpoint(endpoint), config.firmwareStallTimeout(),
                reachable);
        FirmwareInventory inventory = new FirmwareInventory(database.jdbc(), operations, events, clock,
                config.inventoryMaxAge(), config.inventoryStormRate());
        firmwareUpdates.setInventory(inventory);
        // A device's rows in other rooms go in the transaction that deletes it (firmware update history stays).
        for (var owner : List.of(operationLog, observations, pending, telemetry, inventory)) {
            devices.addDataOwner(owner);
        }
        Campaigns campaigns = new Campaigns(database.jdbc(), firmwareImages, firmwareUpdates, inventory, devices,
                events, clock, reachable, Duration.ofSeconds(1));
        for (var provider : leshan.getEndpointsProvider()) {
            if (provider instanceof CaliforniumServerEndpointsProvider californium) {
                californium.getCoapServer().add(new DownloadResource(firmwareUpdates::grantForToken,
                        new LinkAccess(leshan.getRegistrationService(), securityStore),
                        californium.getCoapServer().getConfig().get(CoapConfig.PREFERRED_BLOCK_SIZE), meters, events));
            }
        }
        leshan.getObservationService().addListener(reporting);

        leshan.getSendService().addListener(reporting);

        // Access control: users, tokens, sessions, sign-in throttling, audit log.
        Users users = new Users(database.jdbc(), new PasswordHasher(config.access().passwordIterations()), clock);
        FirstAdmin firstAdmin = new FirstAdmin(config.dataDir());
        ApiTokens tokens = new ApiTokens(database.jdbc(), clock);
        Sessions sessions = new Sessions(clock, config.access().sessionIdleTimeout(), config.access().sessionMaxAge());
        AuditLog audit = new AuditLog(database.jdbc(), clock, config.access().auditRetention(), Duration.ofHours(1),
                scheduler);

        // Rules: reported values acting on devices through the same dispatcher as people, alerts, webhooks.
        Rules rules = new Rules(database.jdbc(), modelRepository, clock,
                new org.lwm2mfleet.server.rules.WebhookAddresses(config.webhookAllowPrivate()));
        Alerts alerts = new Alerts(database.jdbc(), events, clock);
        RuleEngine ruleEngine = new RuleEngine(rules, alerts, devices, dispatcher, operations, observations, audit,
                events, clock, config.pendingExpiry(), config.webhookRetryDelay(), meters,
                endpoint -> leshan.getRegistrationService().getByEndpoint(endpoint) != null, scheduler);

        // HTTP: REST, event stream, health and metrics, console.
        EventStreamHandler eventStream = new EventStreamHandler(events, config.httpLimits().eventStreamQueue(),
                config.httpLimits().maxEventStreamsPerUser(), meters);
        Router router = new Router(Role.VIEWER, Role.OPERATOR);
        new AccessResource(users, tokens, sessions, new LoginThrottle(clock), audit, firstAdmin, meters)
                .register(router);
        new DeviceResource(devices, new org.lwm2mfleet.server.models.ModelCatalogue(models)).register(router);
        new OperationsResource(operations, dispatcher, pending, operationLog, observations, devices).register(router);
        new TelemetryResource(telemetry, devices).register(router);
        new FirmwareResource(firmwareImages, firmwareUpdates, inventory).register(router);
        new CampaignResource(campaigns).register(router);
        new RuleResource(rules, ruleEngine).register(router);
        new AlertResource(alerts).register(router);
        new ModelResource(models).register(router);
        var fleetStats = new org.lwm2mfleet.server.device.FleetStatsResource(devices, events, clock);
        fleetStats.register(router);
        new org.lwm2mfleet.server.device.DeviceTagsResource(devices).register(router);
        new org.lwm2mfleet.server.device.FirmwareFilterResource(devices, inventory::select).register(router);
        router.get("/api/v1/events", eventStream::stream);
        new OpenApiResource().register(router);

        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("http");
        Server http = new Server(threads);
        ServerConnector connector = HttpsConnector.create(http, config.access(), config.dataDir());
        connector.setHost(config.bindAddress());
        connector.setPort(config.httpPort());
        http.addConnector(connector);
        ResourceHandler console = new ResourceHandler();
        console.setBaseResource(ResourceFactory.of(http).newClassLoaderResource("console/"));
        console.setWelcomeFiles("index.html");
        console.setDirAllowed(false);
        // Slow and greedy clients: connection caps, idle timeout, body rate, problem+json for Jetty's own errors.
        org.lwm2mfleet.server.api.OverloadLimits.install(http, connector, new SecurityHeadersHandler(
                new Handler.Sequence(new ApiHandler(router, config.maxRequestBodyBytes(), new AccessGate(new Authenticator(tokens, sessions), audit),
                        config.httpLimits().requestReadTimeout()),
                        org.lwm2mfleet.server.api.WebJars.handler(http), console)), config.httpLimits(), meters);

        // The start order: storage and the background pool, the registry and its credentials, each room, and only
        // then the sockets, so that no request or device reaches a room that has not started.
        Parts parts = new Parts()
                .stopOnly("database", database::close)
                .add("scheduler", scheduler)
                .add("device registry", devices)
                // After the registry marked everyone offline: the kept registrations' devices are online again,
                // without a registered event; before Leshan, whose expiry sweep then sees them.
                .add("kept registrations", () -> {
                    registrationStore.load();
                    registrationStore.restored().forEach(bridge::restored);
                }, () -> {
                })
                .add("security store", () -> {
                    securityStore.loadAll(devices.allCredentials());
                    devices.addCredentialsListener(securityStore);
                }, () -> {
                })
                .add("operation log", operationLog)
                .add("observation restorer", restorer)
                .add("pending operations", pending)
                .add("telemetry writer", telemetryWriter)
                .add("telemetry", telemetry)
                .add("firmware images", firmwareImages)
                .add("firmware updates", firmwareUpdates)
                .add("firmware inventory", inventory)
                .add("campaigns", campaigns)
                .add("first admin", () -> firstAdmin.ensure(users, config.access().adminPassword()), () -> {
                })
                .add("audit log", audit)
                .add("rule engine", ruleEngine)
                .add("fleet stats", fleetStats);
        FleetServer server = new FleetServer(database, devices, leshan, http, eventStream, identity, events, parts);
        new SystemResource(meters, server::endpoints, () -> server.components(telemetryWriter)).register(router);
        if (config.demo()) {
            // Demo only (not in the OpenAPI document): a gas event now, instead of waiting for the next one.
            router.post("/api/v1/demo/gas-event", e -> e.json(200, Map.of("triggered",
                    server.demo != null && server.demo.gasEvent())));
            parts.add("demo rule", () -> {
                if (rules.all().stream().noneMatch(r -> r.rule().name().equals(DemoFleet.GAS_RULE_NAME))) {
                    rules.create(org.lwm2mfleet.server.api.Json.MAPPER.readTree(DemoFleet.GAS_RULE));
                    ruleEngine.reload();
                }
            }, () -> {
            });
        }
        server.routes = router.routes();
        // DTLS sessions saved at the last graceful stop are loaded before the socket opens; at the stop Leshan is
        // stopped first (a running connector cannot save), saved, then destroyed (see DtlsState).
        org.lwm2mfleet.server.lwm2m.DtlsState dtlsState = new org.lwm2mfleet.server.lwm2m.DtlsState(config.dataDir(),
                config.dtlsStateMaxAge(), clock);
        parts.add("leshan", () -> {
            dtlsState.load(leshan);
            leshan.start();
        }, () -> {
            leshan.stop();
            dtlsState.save(leshan);
            leshan.destroy();
        })
                .add("http", http::start, http::stop)
                // After http in start order, so stopped before it: open streams end before Jetty stops.
                .add("event streams", () -> {
                }, eventStream::close);
        if (config.demo()) {
            parts.add("demo fleet", () -> server.demo = DemoFleet.start(devices, server.coapsUri(), identity,
                    config.dataDir(), config.demoDevices(), scheduler), () -> {
                        if (server.demo != null) {
                            server.demo.close();
                        }
                    });
        }
        parts.start();
        LOG.info("LwM2M Fleet started: {}://{}:{}/ coap port {} coaps port {} data {}", server.httpScheme(),
                config.bindAddress(), server.httpPort(), server.coapPort(), server.coapsPort(), config.dataDir().toAbsolutePath());

        if (config.publicHost() == null && isWildcard(config.coapsBindAddress())) {
            LOG.warn("firmware download links will point to 127.0.0.1: set --public-host to the name devices use");
        }
        return server;
    }

    /**
     * {@code scheme://host:port} of this server's endpoint for a scheme, with the host the device registered to (or
     * {@code --public-host}).
     */
    private static String downloadBase(org.eclipse.leshan.server.registration.Registration registration,
            String scheme, ServerConfig config, int port) {
        var uri = registration.getEndpointUri();
        String host = config.publicHost() != null ? config.publicHost()
                : isWildcard(uri.getHost()) ? "127.0.0.1" : uri.getHost();
        return scheme + "://" + host + ":" + port;
    }

    private static boolean isWildcard(String host) {
        try {
            return java.net.InetAddress.getByName(host.replace("[", "").replace("]", "")).isAnyLocalAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    public int httpPort() {
        return ((ServerConnector) http.getConnectors()[0]).getLocalPort();
    }

    public int coapPort() {
        return leshan.getEndpoint(Protocol.COAP).getURI().getPort();
    }

    public int coapsPort() {
        return leshan.getEndpoint(Protocol.COAPS).getURI().getPort();
    }

    /** Where devices reach the server over plain CoAP, as a client on this machine would write it. */
    public URI coapUri() {
        return URI.create("coap://127.0.0.1:" + coapPort());
    }

    public URI coapsUri() {
        return URI.create("coaps://127.0.0.1:" + coapsPort());
    }

    public URI httpUri() {
        return URI.create(httpScheme() + "://127.0.0.1:" + httpPort());
    }

    private String httpScheme() {
        return http.getConnectors()[0].getConnectionFactory(org.eclipse.jetty.server.SslConnectionFactory.class) != null
                ? "https" : "http";
    }

    public ServerIdentity identity() {
        return identity;
    }

    public DeviceService devices() {
        return devices;
    }

    public LeshanServer leshan() {
        return leshan;
    }

    /** Every HTTP route with the role it needs: what the access-control tests check against their table. */
    public List<Router.Route> routes() {
        return routes;
    }

    public EventBus events() {
        return events;
    }

    public EventStreamHandler eventStreams() {
        return eventStream;
    }

    private Map<String, Object> endpoints() {
        Map<String, Object> endpoints = new LinkedHashMap<>();
        endpoints.put("http", httpPort());
        endpoints.put("coap", coapPort());
        endpoints.put("coaps", coapsPort());
        return endpoints;
    }

    /** What {@code /health} asks: each part that can fail on its own. */
    private Map<String, org.lwm2mfleet.server.api.Health> components(TelemetryWriter telemetryWriter) {
        Map<String, org.lwm2mfleet.server.api.Health> components = new LinkedHashMap<>();
        var storage = database.check();
        components.put("database", storage.up() ? org.lwm2mfleet.server.api.Health.ok()
                : org.lwm2mfleet.server.api.Health.down("since " + storage.at() + ": " + storage.failure()));
        for (Protocol protocol : List.of(Protocol.COAP, Protocol.COAPS)) {
            boolean running = leshan.getEndpoint(protocol) instanceof org.eclipse.leshan.transport.californium
                    .server.endpoint.CaliforniumServerEndpoint californium
                    && californium.getCoapEndpoint().isStarted()
                    && californium.getCoapEndpoint().getConnector().isRunning();
            components.put(protocol.getUriScheme(), running ? org.lwm2mfleet.server.api.Health.ok()
                    : org.lwm2mfleet.server.api.Health.down("the endpoint is not running"));
        }
        components.put("telemetryWriter", telemetryWriter.health());
        return components;
    }

    @Override
    public void close() throws Exception {
        parts.close();
        LOG.info("LwM2M Fleet stopped");
    }
}
