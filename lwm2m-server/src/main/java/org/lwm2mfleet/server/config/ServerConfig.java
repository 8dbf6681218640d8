package org.lwm2mfleet.server.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the server is configured with, validated once at start. Built by {@link ServerCommand} from flags, the
 * environment and a config file; tests build it with {@link #builder(Path)}.
 *
 * @param bindAddress address the HTTP, CoAP and CoAPS sockets bind to unless their own address is set
 * @param httpPort HTTP port; 0 picks a free one
 * @param coapAddress CoAP bind address, or null for {@code bindAddress}
 * @param coapPort CoAP (UDP) port; 0 picks a free one
 * @param coapsAddress CoAPS bind address, or null for {@code bindAddress}
 * @param coapsPort CoAP over DTLS (UDP) port; 0 picks a free one
 * @param dataDir folder for the database, the server's generated keys and (later) firmware images
 * @param databaseUrl JDBC URL, or null for the embedded H2 file database in {@code dataDir}
 * @param demo start an in-process fleet of simulated devices and allow unknown devices over plain CoAP
 * @param demoDevices how many simulated devices demo mode starts (spread over every profile)
 * @param allowUnknownCoap accept registrations over plain CoAP from endpoints that were never provisioned
 * @param unknownDeviceExpiry how long a device that registered without being provisioned may stay offline before it
 *        is removed from the registry
 * @param modelsDir extra DDF files loaded at start, or null
 * @param serverKey PEM private key of the server (RPK and X.509), or null to use or generate one in {@code dataDir}
 * @param serverCertificate PEM certificate (chain) of the server, or null
 * @param trustedCertificates PEM file or folder of CA certificates that device X.509 certificates must chain to, or null
 * @param requestTimeout how long a request to a device may take before the caller gets a timeout
 * @param maxRequestBodyBytes the largest REST request body accepted
 * @param registrationCleanupPeriod how often expired registrations are looked for
 * @param telemetryRetention how long reported values are kept
 * @param telemetryBacklog how many reported values may wait for the database before new ones are dropped
 * @param queueAwakeTime how long a queue-mode device listens after it last talked to the server
 * @param pendingExpiry how long an operation waits for a sleeping device before it fails
 * @param webhookRetryDelay how long a rule's webhook waits before its second attempt (each later wait doubles)
 * @param webhookAllowPrivate whether rule webhooks may call loopback, private, link-local and multicast addresses
 * @param inventoryMaxAge how old a device's model and firmware version may be before a registration reads them again
 * @param inventoryStormRate registrations per second (over the last 10 s) above which inventory reads wait, up to a
 *        minute, for the storm to pass; 0: any registration in the last 10 s
 * @param firmwareMaxBytes the largest firmware image accepted
 * @param firmwareStallTimeout how long a device may stay in one state of a firmware update before it is failed
 * @param dtlsMaxConnections the most DTLS connections (sessions) kept at once
 * @param dtlsMaxPendingHandshakes the most DTLS handshakes waiting for their credential look-up at once
 * @param dtlsStateMaxAge how old saved DTLS state may be when loaded at start, and how long a connection may have been
 *        quiet to be saved at a graceful stop; zero: DTLS state is neither saved nor loaded
 * @param dtlsCidLength length of the DTLS Connection IDs (RFC 9146) the server gives its peers; 0: no Connection ID
 * @param udpReceiveBuffer bytes asked of the kernel for each CoAP and CoAPS socket's receive buffer
 * @param publicHost the host name devices reach the server at, for the download links it gives them; null: the
 *        address the device's endpoint is bound to (127.0.0.1 when bound to every address)
 * @param access users, sessions and HTTPS
 * @param httpLimits connections, body read rate and deadline, event streams per HTTP client
 * @param database user, password and pool size of the database at {@code databaseUrl}
 */
public record ServerConfig(
        String bindAddress,
        int httpPort,
        String coapAddress,
        int coapPort,
        String coapsAddress,
        int coapsPort,
        Path dataDir,
        String databaseUrl,
        boolean demo,
        int demoDevices,
        boolean allowUnknownCoap,
        Duration unknownDeviceExpiry,
        Path modelsDir,
        Path serverKey,
        Path serverCertificate,
        Path trustedCertificates,
        Duration requestTimeout,
        int maxRequestBodyBytes,
        Duration registrationCleanupPeriod,
        Duration telemetryRetention,
        int telemetryBacklog,
        Duration queueAwakeTime,
        Duration pendingExpiry,
        Duration webhookRetryDelay,
        boolean webhookAllowPrivate,
        Duration inventoryMaxAge,
        int inventoryStormRate,
        long firmwareMaxBytes,
        Duration firmwareStallTimeout,
        int dtlsMaxConnections,
        int dtlsMaxPendingHandshakes,
        Duration dtlsStateMaxAge,
        int dtlsCidLength,
        int udpReceiveBuffer,
        String publicHost,
        AccessConfig access,
        HttpLimits httpLimits,
        DatabaseConfig database) {

    public ServerConfig {
        if (database == null) {
            throw new InvalidConfigException("database-pool-size", "database settings are required");
        }
        if (httpLimits == null) {
            throw new InvalidConfigException("http-max-connections", "HTTP limits are required");
        }
        if (access == null) {
            throw new InvalidConfigException("admin-password", "access configuration is required");
        }
        requirePort("http-port", httpPort);
        requirePort("coap-port", coapPort);
        requirePort("coaps-port", coapsPort);
        if (dataDir == null) {
            throw new InvalidConfigException("data-dir", "is required");
        }
        if (demoDevices < 0 || demoDevices > 10_000) {
            throw new InvalidConfigException("demo-devices", "must be between 0 and 10000, was " + demoDevices);
        }
        if ((serverKey == null) != (serverCertificate == null)) {
            throw new InvalidConfigException(serverKey == null ? "server-key" : "server-certificate",
                    "server-key and server-certificate go together");
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new InvalidConfigException("request-timeout", "must be positive");
        }
        if (maxRequestBodyBytes < 1024) {
            throw new InvalidConfigException("max-request-body", "must be at least 1024 bytes");
        }
        if (unknownDeviceExpiry == null || unknownDeviceExpiry.toMinutes() < 1) {
            throw new InvalidConfigException("unknown-device-expiry", "must be at least 1 minute");
        }
        if (registrationCleanupPeriod == null || registrationCleanupPeriod.toSeconds() < 1) {
            throw new InvalidConfigException("registration-cleanup-period", "must be at least 1 s");
        }
        if (telemetryRetention == null || telemetryRetention.toMinutes() < 1) {
            throw new InvalidConfigException("telemetry-retention", "must be at least 1 minute");
        }
        if (telemetryBacklog < 1000) {
            throw new InvalidConfigException("telemetry-backlog", "must be at least 1000");
        }
        if (queueAwakeTime == null || queueAwakeTime.toMillis() < 100) {
            throw new InvalidConfigException("queue-awake-time", "must be at least 100 ms");
        }
        if (webhookRetryDelay == null || webhookRetryDelay.isNegative() || webhookRetryDelay.isZero()) {
            throw new InvalidConfigException("webhook-retry-delay", "must be positive");
        }
        if (inventoryMaxAge == null || inventoryMaxAge.isNegative()) {
            throw new InvalidConfigException("inventory-max-age", "must be zero (read at every registration) or more");
        }
        if (inventoryStormRate < 0) {
            throw new InvalidConfigException("inventory-storm-rate", "must be zero or more");
        }
        if (pendingExpiry == null || pendingExpiry.toSeconds() < 1) {
            throw new InvalidConfigException("pending-expiry", "must be at least 1 s");
        }
        if (firmwareMaxBytes < 1024 || firmwareMaxBytes > Integer.MAX_VALUE) {
            throw new InvalidConfigException("firmware-max-size", "must be between 1 KiB and 2 GiB");
        }
        if (dtlsMaxConnections < 10) {
            throw new InvalidConfigException("dtls-max-connections", "must be at least 10");
        }
        if (dtlsMaxPendingHandshakes < 10) {
            throw new InvalidConfigException("dtls-max-pending-handshakes", "must be at least 10");
        }
        if (dtlsStateMaxAge == null || dtlsStateMaxAge.isNegative()) {
            throw new InvalidConfigException("dtls-state-max-age", "must be zero (never save DTLS state) or more");
        }
        // RFC 9146 allows up to 255 bytes; Scandium's generator takes 4 at least, for its random part.
        if (dtlsCidLength != 0 && (dtlsCidLength < 4 || dtlsCidLength > 32)) {
            throw new InvalidConfigException("dtls-cid-length",
                    "must be 0 (no Connection ID) or between 4 and 32 bytes, was " + dtlsCidLength);
        }
        if (udpReceiveBuffer < 65_536) {
            throw new InvalidConfigException("udp-receive-buffer", "must be at least 65536 bytes");
        }
        if (firmwareStallTimeout == null || firmwareStallTimeout.toSeconds() < 1) {
            throw new InvalidConfigException("firmware-stall-timeout", "must be at least 1 s");
        }
    }

    /** The command line's defaults, with the standard ports on every address; change what differs. */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** A builder holding this configuration, to derive another from it. */
    public Builder toBuilder() {
        Builder b = new Builder(dataDir);
        b.bindAddress = bindAddress;
        b.httpPort = httpPort;
        b.coapAddress = coapAddress;
        b.coapPort = coapPort;
        b.coapsAddress = coapsAddress;
        b.coapsPort = coapsPort;
        b.databaseUrl = databaseUrl;
        b.demo = demo;
        b.demoDevices = demoDevices;
        b.allowUnknownCoap = allowUnknownCoap;
        b.unknownDeviceExpiry = unknownDeviceExpiry;
        b.modelsDir = modelsDir;
        b.serverKey = serverKey;
        b.serverCertificate = serverCertificate;
        b.trustedCertificates = trustedCertificates;
        b.requestTimeout = requestTimeout;
        b.maxRequestBodyBytes = maxRequestBodyBytes;
        b.registrationCleanupPeriod = registrationCleanupPeriod;
        b.telemetryRetention = telemetryRetention;
        b.telemetryBacklog = telemetryBacklog;
        b.queueAwakeTime = queueAwakeTime;
        b.pendingExpiry = pendingExpiry;
        b.webhookRetryDelay = webhookRetryDelay;
        b.webhookAllowPrivate = webhookAllowPrivate;
        b.inventoryMaxAge = inventoryMaxAge;
        b.inventoryStormRate = inventoryStormRate;
        b.firmwareMaxBytes = firmwareMaxBytes;
        b.firmwareStallTimeout = firmwareStallTimeout;
        b.dtlsMaxConnections = dtlsMaxConnections;
        b.dtlsMaxPendingHandshakes = dtlsMaxPendingHandshakes;
        b.dtlsStateMaxAge = dtlsStateMaxAge;
        b.dtlsCidLength = dtlsCidLength;
        b.udpReceiveBuffer = udpReceiveBuffer;
        b.publicHost = publicHost;
        b.access = access;
        b.httpLimits = httpLimits;
        b.database = database;
        return b;
    }

    /** Builds a {@link ServerConfig}; the record's constructor validates it. Defaults are the command line's. */
    public static final class Builder {
        private final Path dataDir;
        private String bindAddress = "0.0.0.0";
        private int httpPort = 8080;
        private String coapAddress;
        private int coapPort = 5683;
        private String coapsAddress;
        private int coapsPort = 5684;
        private String databaseUrl;
        private boolean demo;
        private int demoDevices = 10;
        private boolean allowUnknownCoap;
        private Duration unknownDeviceExpiry = Duration.ofDays(7);
        private Path modelsDir;
        private Path serverKey;
        private Path serverCertificate;
        private Path trustedCertificates;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private int maxRequestBodyBytes = 1024 * 1024;
        private Duration registrationCleanupPeriod = Duration.ofSeconds(10);
        private Duration telemetryRetention = Duration.ofDays(30);
        private int telemetryBacklog = 100_000;
        private Duration queueAwakeTime = Duration.ofSeconds(93);
        private Duration pendingExpiry = Duration.ofDays(1);
        private Duration webhookRetryDelay = Duration.ofSeconds(1);
        private boolean webhookAllowPrivate;
        private Duration inventoryMaxAge = Duration.ofHours(24);
        private int inventoryStormRate = 20;
        private long firmwareMaxBytes = 64L * 1024 * 1024;
        private Duration firmwareStallTimeout = Duration.ofMinutes(10);
        private int dtlsMaxConnections = 150_000;
        private int dtlsMaxPendingHandshakes = 5_000;
        private Duration dtlsStateMaxAge = Duration.ofDays(1);
        private int dtlsCidLength = 6;
        private int udpReceiveBuffer = 4 * 1024 * 1024;
        private String publicHost;
        private AccessConfig access = AccessConfig.defaults();
        private HttpLimits httpLimits = HttpLimits.defaults();
        private DatabaseConfig database = DatabaseConfig.defaults();

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** Every socket on 127.0.0.1 with ports picked by the system: what tests use. */
        public Builder loopbackEphemeralPorts() {
            bindAddress = "127.0.0.1";
            coapAddress = null;
            coapsAddress = null;
            httpPort = 0;
            coapPort = 0;
            coapsPort = 0;
            return this;
        }

        public Builder bindAddress(String address) {
            this.bindAddress = address;
            return this;
        }

        public Builder httpPort(int port) {
            this.httpPort = port;
            return this;
        }

        public Builder coapAddress(String address) {
            this.coapAddress = address;
            return this;
        }

        public Builder coapPort(int port) {
            this.coapPort = port;
            return this;
        }

        public Builder coapsAddress(String address) {
            this.coapsAddress = address;
            return this;
        }

        public Builder coapsPort(int port) {
            this.coapsPort = port;
            return this;
        }

        public Builder databaseUrl(String url) {
            this.databaseUrl = url;
            return this;
        }

        public Builder demo(boolean demo) {
            this.demo = demo;
            return this;
        }

        public Builder demoDevices(int count) {
            this.demoDevices = count;
            return this;
        }

        public Builder allowUnknownCoap(boolean allow) {
            this.allowUnknownCoap = allow;
            return this;
        }

        public Builder unknownDeviceExpiry(Duration expiry) {
            this.unknownDeviceExpiry = expiry;
            return this;
        }

        public Builder modelsDir(Path dir) {
            this.modelsDir = dir;
            return this;
        }

        public Builder serverKey(Path key) {
            this.serverKey = key;
            return this;
        }

        public Builder serverCertificate(Path certificate) {
            this.serverCertificate = certificate;
            return this;
        }

        public Builder trustedCertificates(Path trusted) {
            this.trustedCertificates = trusted;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        public Builder maxRequestBodyBytes(int max) {
            this.maxRequestBodyBytes = max;
            return this;
        }

        public Builder registrationCleanupPeriod(Duration period) {
            this.registrationCleanupPeriod = period;
            return this;
        }

        public Builder telemetryRetention(Duration retention) {
            this.telemetryRetention = retention;
            return this;
        }

        public Builder telemetryBacklog(int points) {
            this.telemetryBacklog = points;
            return this;
        }

        public Builder queueAwakeTime(Duration awake) {
            this.queueAwakeTime = awake;
            return this;
        }

        public Builder inventoryMaxAge(Duration maxAge) {
            this.inventoryMaxAge = maxAge;
            return this;
        }

        public Builder inventoryStormRate(int registrationsPerSecond) {
            this.inventoryStormRate = registrationsPerSecond;
            return this;
        }

        public Builder webhookRetryDelay(Duration delay) {
            this.webhookRetryDelay = delay;
            return this;
        }

        public Builder webhookAllowPrivate(boolean allow) {
            this.webhookAllowPrivate = allow;
            return this;
        }

        public Builder pendingExpiry(Duration expiry) {
            this.pendingExpiry = expiry;
            return this;
        }

        public Builder firmwareMaxBytes(long max) {
            this.firmwareMaxBytes = max;
            return this;
        }

        public Builder firmwareStallTimeout(Duration timeout) {
            this.firmwareStallTimeout = timeout;
            return this;
        }

        public Builder dtlsMaxConnections(int max) {
            this.dtlsMaxConnections = max;
            return this;
        }

        public Builder dtlsMaxPendingHandshakes(int max) {
            this.dtlsMaxPendingHandshakes = max;
            return this;
        }

        public Builder dtlsStateMaxAge(Duration maxAge) {
            this.dtlsStateMaxAge = maxAge;
            return this;
        }

        public Builder dtlsCidLength(int length) {
            this.dtlsCidLength = length;
            return this;
        }

        public Builder udpReceiveBuffer(int bytes) {
            this.udpReceiveBuffer = bytes;
            return this;
        }

        public Builder publicHost(String host) {
            this.publicHost = host;
            return this;
        }

        public Builder access(AccessConfig access) {
            this.access = access;
            return this;
        }

        public Builder httpLimits(HttpLimits limits) {
            this.httpLimits = limits;
            return this;
        }

        public Builder database(DatabaseConfig database) {
            this.database = database;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                    databaseUrl, demo, demoDevices, allowUnknownCoap, unknownDeviceExpiry, modelsDir, serverKey, serverCertificate,
                    trustedCertificates, requestTimeout, maxRequestBodyBytes, registrationCleanupPeriod,
                    telemetryRetention, telemetryBacklog, queueAwakeTime, pendingExpiry, webhookRetryDelay, webhookAllowPrivate, inventoryMaxAge,
                    inventoryStormRate, firmwareMaxBytes,
                    firmwareStallTimeout, dtlsMaxConnections, dtlsMaxPendingHandshakes, dtlsStateMaxAge, dtlsCidLength,
                    udpReceiveBuffer, publicHost, access,
                    httpLimits, database);
        }
    }

    /** Demo mode lets unknown devices in over plain CoAP; otherwise only the explicit option does. */
    public boolean acceptsUnknownCoapDevices() {
        return allowUnknownCoap || demo;
    }

    public String coapBindAddress() {
        return coapAddress != null ? coapAddress : bindAddress;
    }

    public String coapsBindAddress() {
        return coapsAddress != null ? coapsAddress : bindAddress;
    }

    /**
     * The embedded H2 commits with WRITE_DELAY=0: each commit stores its MVStore chunk in the file before the commit
     * returns (by default H2 keeps committed changes in memory for up to 500 ms, and a kill -9 lost them).
     */
    public String effectiveDatabaseUrl() {
        return databaseUrl != null ? databaseUrl
                : "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fleet") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }

    private static void requirePort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new InvalidConfigException(name, "must be between 0 and 65535, was " + port);
        }
    }
}
