package org.lwm2mfleet.server.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the server is configured with, validated once at start. Built by {@link ServerCommand} from flags, the
 * environment and a config file; tests build it directly with {@link #defaults(Path)} and the {@code with...} copies.
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
 * @param modelsDir extra DDF files loaded at start, or null
 * @param serverKey PEM private key of the server (RPK and X.509), or null to use or generate one in {@code dataDir}
 * @param serverCertificate PEM certificate (chain) of the server, or null
 * @param trustedCertificates PEM file or folder of CA certificates that device X.509 certificates must chain to, or null
 * @param requestTimeout how long a request to a device may take before the caller gets a timeout
 * @param maxRequestBodyBytes the largest REST request body accepted
 * @param registrationCleanupPeriod how often expired registrations are looked for
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
        Path modelsDir,
        Path serverKey,
        Path serverCertificate,
        Path trustedCertificates,
        Duration requestTimeout,
        int maxRequestBodyBytes,
        Duration registrationCleanupPeriod) {

    public ServerConfig {
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
        if (registrationCleanupPeriod == null || registrationCleanupPeriod.toSeconds() < 1) {
            throw new InvalidConfigException("registration-cleanup-period", "must be at least 1 s");
        }
    }

    /** The defaults of the command line, on loopback with the standard ports. */
    public static ServerConfig defaults(Path dataDir) {
        return new ServerConfig("0.0.0.0", 8080, null, 5683, null, 5684, dataDir, null, false, 10, false, null, null,
                null, null, Duration.ofSeconds(10), 1024 * 1024, Duration.ofSeconds(10));
    }

    /** Every socket on 127.0.0.1 with ports picked by the system: what tests use. */
    public ServerConfig onLoopbackEphemeralPorts() {
        return new ServerConfig("127.0.0.1", 0, null, 0, null, 0, dataDir, databaseUrl, demo, demoDevices,
                allowUnknownCoap, modelsDir, serverKey, serverCertificate, trustedCertificates, requestTimeout,
                maxRequestBodyBytes, registrationCleanupPeriod);
    }

    public ServerConfig withDemo(boolean demo, int demoDevices) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allowUnknownCoap, modelsDir, serverKey, serverCertificate,
                trustedCertificates, requestTimeout, maxRequestBodyBytes, registrationCleanupPeriod);
    }

    public ServerConfig withAllowUnknownCoap(boolean allow) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allow, modelsDir, serverKey, serverCertificate, trustedCertificates,
                requestTimeout, maxRequestBodyBytes, registrationCleanupPeriod);
    }

    public ServerConfig withTrustedCertificates(Path trusted) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allowUnknownCoap, modelsDir, serverKey, serverCertificate, trusted,
                requestTimeout, maxRequestBodyBytes, registrationCleanupPeriod);
    }

    public ServerConfig withRequestTimeout(Duration timeout) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allowUnknownCoap, modelsDir, serverKey, serverCertificate,
                trustedCertificates, timeout, maxRequestBodyBytes, registrationCleanupPeriod);
    }

    public ServerConfig withPorts(int http, int coap, int coaps) {
        return new ServerConfig(bindAddress, http, coapAddress, coap, coapsAddress, coaps, dataDir, databaseUrl, demo,
                demoDevices, allowUnknownCoap, modelsDir, serverKey, serverCertificate, trustedCertificates,
                requestTimeout, maxRequestBodyBytes, registrationCleanupPeriod);
    }

    public ServerConfig withRegistrationCleanupPeriod(Duration period) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allowUnknownCoap, modelsDir, serverKey, serverCertificate,
                trustedCertificates, requestTimeout, maxRequestBodyBytes, period);
    }

    public ServerConfig withMaxRequestBodyBytes(int max) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allowUnknownCoap, modelsDir, serverKey, serverCertificate,
                trustedCertificates, requestTimeout, max, registrationCleanupPeriod);
    }

    public ServerConfig withModelsDir(Path dir) {
        return new ServerConfig(bindAddress, httpPort, coapAddress, coapPort, coapsAddress, coapsPort, dataDir,
                databaseUrl, demo, demoDevices, allowUnknownCoap, dir, serverKey, serverCertificate,
                trustedCertificates, requestTimeout, maxRequestBodyBytes, registrationCleanupPeriod);
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

    public String effectiveDatabaseUrl() {
        return databaseUrl != null ? databaseUrl
                : "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fleet") + ";DB_CLOSE_ON_EXIT=FALSE";
    }

    private static void requirePort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new InvalidConfigException(name, "must be between 0 and 65535, was " + port);
        }
    }
}
