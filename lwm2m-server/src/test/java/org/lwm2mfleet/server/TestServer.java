package org.lwm2mfleet.server;

import java.nio.file.Path;
import java.util.function.Consumer;

import org.lwm2mfleet.server.config.AccessConfig;
import org.lwm2mfleet.server.config.ServerConfig;

/**
 * The real server on 127.0.0.1 with ephemeral ports and a fresh H2 database in a temporary folder (or, with
 * {@code -Dlwm2m.test.database=postgresql}, a fresh PostgreSQL database of its own, dropped at {@link #close()}),
 * with a first admin whose password is {@link #ADMIN_PASSWORD}; {@link #api()} calls it with an admin token.
 */
public final class TestServer implements AutoCloseable {

    public static final String ADMIN_PASSWORD = "test-admin-password";
    /** Few PBKDF2 iterations: the tests sign in often, and the hash's strength is not what they check. */
    public static final int PASSWORD_ITERATIONS = 1000;

    private ServerConfig config;
    private FleetServer server;
    private Api api;

    private final java.time.Clock clock;
    /** The PostgreSQL database of this server, or null on H2. */
    private final TestDatabase database;

    private TestServer(ServerConfig config, java.time.Clock clock, TestDatabase database) throws Exception {
        this.config = config;
        this.clock = clock;
        this.database = database;
        try {
            boot();
        } catch (Exception | Error e) {
            if (database != null) {
                database.close();
            }
            throw e;
        }
    }

    public static TestServer start(Path dataDir) throws Exception {
        return start(dataDir, c -> {
        });
    }

    /** @param customize changes to the defaults (loopback, ephemeral ports, fresh H2 in {@code dataDir}) */
    public static TestServer start(Path dataDir, Consumer<ServerConfig.Builder> customize) throws Exception {
        return start(dataDir, java.time.Clock.systemUTC(), customize);
    }

    /**
     * A server that trusts the simulator's fleet CA derived from {@code secret} (written to {@code dir}), with its
     * data in {@code dir/data}: for X.509 devices.
     */
    public static TestServer trustingFleetCa(Path dir, String secret) throws Exception {
        Path ca = dir.resolve("fleet-ca.pem");
        java.nio.file.Files.writeString(ca, org.lwm2mfleet.sim.fleet.FleetCredentials
                .toPem(org.lwm2mfleet.sim.fleet.FleetCredentials.caCertificate(secret)));
        return start(dir.resolve("data"), c -> c.trustedCertificates(ca));
    }

    /** @param clock the server's clock, for tests that move time forward instead of waiting */
    public static TestServer start(Path dataDir, java.time.Clock clock, Consumer<ServerConfig.Builder> customize)
            throws Exception {
        ServerConfig.Builder builder = ServerConfig.builder(dataDir).loopbackEphemeralPorts().access(AccessConfig
                .defaults().withAdminPassword(ADMIN_PASSWORD).withPasswordIterations(PASSWORD_ITERATIONS))
                // Every test client, of every user, comes from 127.0.0.1, each HttpClient with its own pool.
                .httpLimits(org.lwm2mfleet.server.config.HttpLimits.defaults().withMaxConnectionsPerAddress(1000));
        TestDatabase database = null;
        if (TestDatabase.postgresql()) {
            database = TestDatabase.create();
            builder.databaseUrl(database.url()).database(org.lwm2mfleet.server.config.DatabaseConfig.defaults()
                    .withUser(TestDatabase.USER));
        }
        try {
            customize.accept(builder);
            return new TestServer(builder.build(), clock, database);
        } catch (RuntimeException e) {
            if (database != null) {
                database.close();
            }
            throw e;
        }
    }

    private void boot() throws Exception {
        server = FleetServer.start(config, clock);
        // The token is in the database: after a restart the same one still works.
        if (api != null && api.token() != null) {
            api = new Api(server.httpUri(), httpClient(), api.token(), null, null);
        } else if (config.access().adminPassword() != null) {
            api = Api.admin(server.httpUri(), httpClient(), "admin", config.access().adminPassword());
        } else {
            api = anonymous();
        }
    }

    /** An HTTP client for this server; under HTTPS it trusts the server's own certificate. */
    public java.net.http.HttpClient httpClient() {
        java.net.http.HttpClient.Builder builder = java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(5));
        if (config.access().https()) {
            builder.sslContext(Tls.trusting(config.access().httpsCertificate() != null
                    ? config.access().httpsCertificate() : dataDir().resolve("keys").resolve("https-cert.pem")));
        }
        return builder.build();
    }

    /** Anonymous calls to this server. */
    public Api anonymous() {
        return new Api(server.httpUri(), httpClient(), null, null, null);
    }

    /** Stops the server and starts a new one on the same data folder and the same ports, as devices expect. */
    public void restart() throws Exception {
        restart(c -> {
        }, () -> {
        });
    }

    /** Like {@link #restart()}, with {@code change} applied to the configuration. */
    public void restart(Consumer<ServerConfig.Builder> change) throws Exception {
        restart(change, () -> {
        });
    }

    /** {@link #restart()}, running {@code whileStopped} between the stop and the start. */
    public void restart(Runnable whileStopped) throws Exception {
        restart(c -> {
        }, whileStopped);
    }

    private void restart(Consumer<ServerConfig.Builder> change, Runnable whileStopped) throws Exception {
        ServerConfig.Builder builder = config.toBuilder().httpPort(server.httpPort()).coapPort(server.coapPort())
                .coapsPort(server.coapsPort());
        change.accept(builder);
        config = builder.build();
        server.close();
        whileStopped.run();
        boot();
    }

    public FleetServer server() {
        return server;
    }

    public Path dataDir() {
        return config.dataDir();
    }

    public Api api() {
        return api;
    }

    /** A new connection to this server's database (H2 lets a second one in while the server runs, in this JVM). */
    public java.sql.Connection connectToDatabase() throws java.sql.SQLException {
        if (database != null) {
            return database.connect();
        }
        return java.sql.DriverManager.getConnection(config.effectiveDatabaseUrl());
    }

    /** Whether this server runs on PostgreSQL (the suite's PostgreSQL run). */
    public boolean onPostgresql() {
        return database != null;
    }

    @Override
    public void close() throws Exception {
        try {
            server.close();
        } finally {
            if (database != null) {
                database.close();
            }
        }
    }
}
