package org.lwm2mfleet.server.config;

import java.nio.file.Path;
import java.time.Duration;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The server's command line. Every option can also come from the environment ({@code LWM2M_FLEET_HTTP_PORT} for
 * {@code --http-port}) or from a properties file given with {@code --config} ({@code http-port=8080}); the command
 * line wins over the environment, which wins over the file. See {@link ConfigDefaultProvider}.
 */
@Command(name = "lwm2m-server", mixinStandardHelpOptions = true, version = "LwM2M Fleet server 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = "LwM2M device-management server: CoAP/DTLS for devices, REST and a console for people.",
        footer = { "", "Each option may also be set in the environment (LWM2M_FLEET_ + the option name in upper case,"
                + " dashes as underscores) or in the --config file (option name without dashes = value)." })
public class ServerCommand {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with option values.")
    Path configFile;

    @Option(names = "--bind-address", defaultValue = "0.0.0.0", paramLabel = "ADDRESS",
            description = "Address every socket binds to unless set per protocol (default: ${DEFAULT-VALUE}).")
    String bindAddress;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP port for REST and console; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--coap-address", paramLabel = "ADDRESS", description = "Address of the CoAP socket (default: --bind-address).")
    String coapAddress;

    @Option(names = "--coap-port", defaultValue = "5683", description = "CoAP (UDP) port; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int coapPort;

    @Option(names = "--coaps-address", paramLabel = "ADDRESS", description = "Address of the CoAP over DTLS socket (default: --bind-address).")
    String coapsAddress;

    @Option(names = "--coaps-port", defaultValue = "5684", description = "CoAP over DTLS (UDP) port; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int coapsPort;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Folder for the database, generated keys and images (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--database-url", paramLabel = "JDBC_URL", description = "JDBC URL of the database: jdbc:postgresql://HOST:PORT/DB for PostgreSQL 15 or newer (default: embedded H2 file in --data-dir).")
    String databaseUrl;

    @Option(names = "--database-user", paramLabel = "USER", description = "Database user (PostgreSQL).")
    String databaseUser;

    @Option(names = "--database-password", paramLabel = "PASSWORD", description = "Password of --database-user (prefer --database-password-file or LWM2M_FLEET_DATABASE_PASSWORD: command lines are visible to other users).")
    String databasePassword;

    @Option(names = "--database-password-file", paramLabel = "FILE", description = "File whose first line is the password of --database-user.")
    Path databasePasswordFile;

    @Option(names = "--database-pool-size", defaultValue = "8", paramLabel = "N", description = "Most database connections open at once (default: ${DEFAULT-VALUE}).")
    int databasePoolSize;

    @Option(names = "--demo", description = "Start a demo fleet of simulated devices in the same process; also allows unknown devices over plain CoAP.")
    boolean demo;

    @Option(names = "--demo-devices", defaultValue = "10", description = "Number of simulated devices in demo mode (default: ${DEFAULT-VALUE}).")
    int demoDevices;

    @Option(names = "--allow-unknown-coap", description = "Accept registrations over plain CoAP from endpoints that were never provisioned (on in demo mode).")
    boolean allowUnknownCoap;

    @Option(names = "--unknown-device-expiry", defaultValue = "P7D", paramLabel = "DURATION", description = "How long a device that registered without being provisioned (--allow-unknown-coap, --demo) may stay offline before it is removed from the registry, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration unknownDeviceExpiry;

    @Option(names = "--models-dir", paramLabel = "DIR", description = "Folder of extra object definitions (DDF XML) loaded at start.")
    Path modelsDir;

    @Option(names = "--server-key", paramLabel = "PEM", description = "Private key of the server for RPK and X.509 (default: generated once into --data-dir).")
    Path serverKey;

    @Option(names = "--server-certificate", paramLabel = "PEM", description = "Certificate (chain) of the server; goes with --server-key.")
    Path serverCertificate;

    @Option(names = "--trusted-certificates", paramLabel = "PEM", description = "PEM file or folder of CA certificates that device X.509 certificates must chain to.")
    Path trustedCertificates;

    @Option(names = "--request-timeout", defaultValue = "PT10S", paramLabel = "DURATION", description = "Timeout of a request to a device, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--max-request-body", defaultValue = "1048576", paramLabel = "BYTES", description = "Largest REST request body accepted (default: ${DEFAULT-VALUE}).")
    int maxRequestBody;

    @Option(names = "--registration-cleanup-period", defaultValue = "PT10S", paramLabel = "DURATION", description = "How often expired registrations are looked for, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration registrationCleanupPeriod;

    @Option(names = "--telemetry-retention", defaultValue = "P30D", paramLabel = "DURATION", description = "How long reported values are kept, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration telemetryRetention;

    @Option(names = "--telemetry-backlog", defaultValue = "100000", paramLabel = "POINTS", description = "Reported values that may wait for the database before new ones are dropped (default: ${DEFAULT-VALUE}).")
    int telemetryBacklog;

    @Option(names = "--queue-awake-time", paramLabel = "DURATION", description = "How long a queue-mode device is taken to listen after it last talked to the server, ISO-8601 (default: PT93S, CoAP's MAX_TRANSMIT_WAIT; PT15S with --demo, whose sleeping sensors wake every 2 minutes).")
    Duration queueAwakeTime;

    @Option(names = "--pending-expiry", defaultValue = "P1D", paramLabel = "DURATION", description = "How long an operation waits for a sleeping device before it fails, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration pendingExpiry;

    @Option(names = "--webhook-retry-delay", defaultValue = "PT1S", paramLabel = "DURATION", description = "How long a rule's webhook waits before its second attempt when the receiver fails; each later wait doubles, five attempts in all, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration webhookRetryDelay;

    @Option(names = "--webhook-allow-private", description = "Let rule webhooks call loopback, private, link-local, unique-local and multicast addresses (refused by default, at save and at each delivery).")
    boolean webhookAllowPrivate;

    @Option(names = "--inventory-max-age", defaultValue = "PT24H", paramLabel = "DURATION", description = "How old a device's model and firmware version (read from /3/0) may be before its next registration reads them again; PT0S reads at every registration, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration inventoryMaxAge;

    @Option(names = "--inventory-storm-rate", defaultValue = "20", paramLabel = "PER_SECOND", description = "Registrations per second, over the last 10 s, above which the inventory reads of registering devices wait (at most a minute) for the storm to pass, so that a reconnecting fleet gets online first; 0 holds them after any registration (default: ${DEFAULT-VALUE}).")
    int inventoryStormRate;

    @Option(names = "--firmware-max-size", defaultValue = "67108864", paramLabel = "BYTES", description = "Largest firmware image accepted; larger uploads are refused while streaming (default: ${DEFAULT-VALUE}).")
    long firmwareMaxSize;

    @Option(names = "--firmware-stall-timeout", defaultValue = "PT10M", paramLabel = "DURATION", description = "How long a device may stay in one state of a firmware update before the update is failed, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration firmwareStallTimeout;

    @Option(names = "--dtls-max-connections", defaultValue = "150000", paramLabel = "N", description = "Most DTLS connections kept at once; the least recently used go first (default: ${DEFAULT-VALUE}).")
    int dtlsMaxConnections;

    @Option(names = "--dtls-max-pending-handshakes", defaultValue = "5000", paramLabel = "N", description = "Most DTLS handshakes waiting for their credential look-up at once; more are dropped (default: ${DEFAULT-VALUE}).")
    int dtlsMaxPendingHandshakes;

    @Option(names = "--dtls-state-max-age", defaultValue = "P1D", paramLabel = "DURATION", description = "DTLS sessions are saved (encrypted) at a graceful stop and loaded at the next start, so devices go on without a handshake: state older than this is not loaded, and connections quiet for longer are not saved; PT0S turns saving off, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration dtlsStateMaxAge;

    @Option(names = "--dtls-cid-length", defaultValue = "6", paramLabel = "BYTES", description = "Length of the DTLS Connection IDs (RFC 9146) the server gives devices, so a device whose address changes (NAT) keeps its session; 0 turns Connection ID off (default: ${DEFAULT-VALUE}).")
    int dtlsCidLength;

    @Option(names = "--udp-receive-buffer", defaultValue = "4194304", paramLabel = "BYTES", description = "Receive buffer asked of the kernel for the CoAP and CoAPS sockets; the kernel caps it at net.core.rmem_max (default: ${DEFAULT-VALUE}).")
    int udpReceiveBuffer;

    @Option(names = "--public-host", paramLabel = "HOST", description = "Host name devices reach this server at, used in firmware download links (default: the CoAP bind address, 127.0.0.1 when bound to every address).")
    String publicHost;

    @Option(names = "--http-max-connections", defaultValue = "10000", paramLabel = "N", description = "Most HTTP(S) connections open at once, from everyone; beyond it the server stops accepting until one closes (default: ${DEFAULT-VALUE}).")
    int httpMaxConnections;

    @Option(names = "--http-max-connections-per-address", defaultValue = "64", paramLabel = "N", description = "Most HTTP(S) connections open at once from one IP address; more are closed when accepted (default: ${DEFAULT-VALUE}).")
    int httpMaxConnectionsPerAddress;

    @Option(names = "--http-min-request-rate", defaultValue = "256", paramLabel = "BYTES_PER_SECOND", description = "A request body arriving slower than this is refused with 408; 0 turns the check off (default: ${DEFAULT-VALUE}).")
    long httpMinRequestRate;

    @Option(names = "--http-read-timeout", defaultValue = "PT30S", paramLabel = "DURATION", description = "Longest a REST request body may take to arrive (408 beyond), ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration httpReadTimeout;

    @Option(names = "--http-idle-timeout", defaultValue = "PT30S", paramLabel = "DURATION", description = "An HTTP connection silent for this long is closed, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration httpIdleTimeout;

    @Option(names = "--max-event-streams-per-user", defaultValue = "8", paramLabel = "N", description = "Concurrent /api/v1/events streams one user may hold; more are refused with 429 (default: ${DEFAULT-VALUE}).")
    int maxEventStreamsPerUser;

    @Option(names = "--event-stream-queue", defaultValue = "10000", paramLabel = "EVENTS", description = "Events that may wait for one event-stream client; a client that lets the queue fill is disconnected (default: ${DEFAULT-VALUE}).")
    int eventStreamQueue;

    @Option(names = "--admin-password", paramLabel = "PASSWORD", description = "Password of the first user 'admin', created when there is no user (default: a one-time password written to <data-dir>/initial-admin-password, mode 600; the log names the file, never the password). Prefer the environment variable LWM2M_FLEET_ADMIN_PASSWORD: command lines are visible to other users.")
    String adminPassword;

    @Option(names = "--password-iterations", defaultValue = "600000", paramLabel = "N", description = "PBKDF2-HMAC-SHA256 iterations for new password hashes (default: ${DEFAULT-VALUE}).")
    int passwordIterations;

    @Option(names = "--session-idle-timeout", defaultValue = "PT30M", paramLabel = "DURATION", description = "A console session ends after this long without a request, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration sessionIdleTimeout;

    @Option(names = "--session-max-age", defaultValue = "PT12H", paramLabel = "DURATION", description = "A console session ends this long after sign-in, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration sessionMaxAge;

    @Option(names = "--https", description = "Serve HTTPS on the HTTP port: with --https-keystore, with --https-key and --https-certificate, or with a self-signed certificate generated once into <data-dir>/keys.")
    boolean https;

    @Option(names = "--https-keystore", paramLabel = "P12", description = "PKCS#12 keystore holding the HTTPS key and certificate.")
    Path httpsKeystore;

    @Option(names = "--https-keystore-password", paramLabel = "PASSWORD", description = "Password of --https-keystore (prefer LWM2M_FLEET_HTTPS_KEYSTORE_PASSWORD).")
    String httpsKeystorePassword;

    @Option(names = "--https-key", paramLabel = "PEM", description = "PEM private key for HTTPS; goes with --https-certificate.")
    Path httpsKey;

    @Option(names = "--https-certificate", paramLabel = "PEM", description = "PEM certificate chain for HTTPS; goes with --https-key.")
    Path httpsCertificate;

    @Option(names = "--audit-retention", defaultValue = "P365D", paramLabel = "DURATION", description = "How long audit log entries are kept; older ones are deleted at start and every hour, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration auditRetention;

    public ServerConfig toConfig() {
        return ServerConfig.builder(dataDir).bindAddress(bindAddress).httpPort(httpPort).coapAddress(coapAddress)
                .coapPort(coapPort).coapsAddress(coapsAddress).coapsPort(coapsPort).databaseUrl(databaseUrl)
                .demo(demo).demoDevices(demoDevices).allowUnknownCoap(allowUnknownCoap).unknownDeviceExpiry(unknownDeviceExpiry).modelsDir(modelsDir)
                .serverKey(serverKey).serverCertificate(serverCertificate).trustedCertificates(trustedCertificates)
                .requestTimeout(requestTimeout).maxRequestBodyBytes(maxRequestBody)
                .registrationCleanupPeriod(registrationCleanupPeriod).telemetryRetention(telemetryRetention)
                .telemetryBacklog(telemetryBacklog).queueAwakeTime(queueAwakeTime != null ? queueAwakeTime
                        : demo ? Duration.ofSeconds(15) : Duration.ofSeconds(93)).pendingExpiry(pendingExpiry)
                .webhookRetryDelay(webhookRetryDelay).webhookAllowPrivate(webhookAllowPrivate).inventoryMaxAge(inventoryMaxAge).inventoryStormRate(inventoryStormRate).firmwareMaxBytes(firmwareMaxSize)
                .firmwareStallTimeout(firmwareStallTimeout).dtlsMaxConnections(dtlsMaxConnections)
                .dtlsMaxPendingHandshakes(dtlsMaxPendingHandshakes).dtlsStateMaxAge(dtlsStateMaxAge)
                .dtlsCidLength(dtlsCidLength).udpReceiveBuffer(udpReceiveBuffer).publicHost(publicHost).access(accessConfig())
                .httpLimits(new HttpLimits(httpMaxConnections, httpMaxConnectionsPerAddress, httpMinRequestRate,
                        httpReadTimeout, httpIdleTimeout, maxEventStreamsPerUser, eventStreamQueue))
                .database(databaseConfig()).build();
    }

    private DatabaseConfig databaseConfig() {
        String password = databasePassword;
        if (databasePasswordFile != null) {
            if (password != null) {
                throw new InvalidConfigException("database-password-file", "and --database-password exclude each other");
            }
            try {
                // The first line, without its line break: editors add one.
                password = java.nio.file.Files.readAllLines(databasePasswordFile).stream().findFirst().orElse("");
            } catch (java.io.IOException e) {
                throw new InvalidConfigException("database-password-file", "cannot be read: " + databasePasswordFile);
            }
        }
        return new DatabaseConfig(databaseUser, password, databasePoolSize);
    }

    private AccessConfig accessConfig() {
        return new AccessConfig(adminPassword, passwordIterations, sessionIdleTimeout, sessionMaxAge, https,
                httpsKeystore, httpsKeystorePassword, httpsKey, httpsCertificate, auditRetention);
    }
}
