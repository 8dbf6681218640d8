package org.lwm2mfleet.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.lwm2mfleet.server.config.InvalidConfigException;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import com.zaxxer.hikari.SQLExceptionOverride;

/** The connection pool, migrated to the newest schema when opened. */
public final class Database implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Database.class);

    private static final String H2_FILE = "jdbc:h2:file:";
    /** How long {@code /health} reuses the last probe: it is open to anyone, and each probe is a commit. */
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

    /** PostgreSQL 15: MERGE, NULLS NOT DISTINCT and the planner behaviour the schema was written for. */
    static final int MIN_POSTGRESQL_VERSION_NUM = 150000;

    private final HikariDataSource dataSource;
    private final Dialect dialect;
    private final StorageHealth health = new StorageHealth();
    /**
     * The one {@link Jdbc} of this database: its transaction is per thread, so rooms that share it can write in one
     * transaction (a device deleted with its points, operations and observations). An instance per room would give
     * each room its own transaction, and a nested {@link Jdbc#inTransaction} on another room's instance would
     * commit on its own.
     */
    private final Jdbc jdbc;
    private final Object probeLock = new Object();
    private volatile long lastProbeNanos;
    private volatile boolean probed;

    private Database(HikariDataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.jdbc = new Jdbc(dataSource, health, dialect);
    }

    public static Database open(String jdbcUrl) {
        return open(jdbcUrl, null, null, 8);
    }

    /**
     * Opens the pool and migrates the schema with the database's own migrations ({@link Dialect#migrations()}).
     *
     * @throws org.lwm2mfleet.server.config.InvalidConfigException naming {@code --database-url} when the database
     *         cannot be reached or is a PostgreSQL older than 15: the server refuses to start rather than limp
     */
    public static Database open(String jdbcUrl, String user, String password, int poolSize) {
        Dialect dialect = Dialect.of(jdbcUrl);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName("fleet-db");
        config.setMaximumPoolSize(poolSize);
        // A database that cannot be reached answers 503 after 5 s rather than holding the request for 30.
        config.setConnectionTimeout(5_000);
        // Hikari only drops connections on SQL state 08; H2 says "closed" with its own codes, and a pool that kept
        // those connections would fail requests after the database works again.
        config.setExceptionOverride(new SQLExceptionOverride() {
            @java.lang.Override
            public Override adjudicate(java.sql.SQLException e) {
                return DataAccessException.isStorageFailure(e) ? Override.MUST_EVICT : Override.CONTINUE_EVICT;
            }
        });
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(config);
        } catch (HikariPool.PoolInitializationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new InvalidConfigException("database-url", "cannot reach the database at " + withoutParameters(jdbcUrl)
                    + ": " + cause.getMessage());
        }
        try {
            if (dialect == Dialect.POSTGRESQL) {
                requireSupportedPostgresql(dataSource, jdbcUrl);
            }
            Flyway.configure().dataSource(dataSource).locations(dialect.migrations()).load().migrate();
            restrictH2Files(jdbcUrl);
            LOG.info("database: {} at {}", dialect, withoutParameters(jdbcUrl));
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new Database(dataSource, dialect);
    }

    private static void requireSupportedPostgresql(DataSource dataSource, String jdbcUrl) {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT current_setting('server_version_num')::int,"
                        + " current_setting('server_version')")) {
            row.next();
            if (row.getInt(1) < MIN_POSTGRESQL_VERSION_NUM) {
                throw new InvalidConfigException("database-url", "points at PostgreSQL " + row.getString(2) + " ("
                        + withoutParameters(jdbcUrl) + "); the server needs PostgreSQL 15 or newer");
            }
        } catch (SQLException e) {
            throw new InvalidConfigException("database-url", "cannot read the server version of "
                    + withoutParameters(jdbcUrl) + ": " + e.getMessage());
        }
    }

    /** The URL without its parameters, which may hold a password: what messages and logs show. */
    static String withoutParameters(String jdbcUrl) {
        int at = jdbcUrl.indexOf(jdbcUrl.startsWith("jdbc:h2:") ? ';' : '?');
        return at < 0 ? jdbcUrl : jdbcUrl.substring(0, at);
    }

    /**
     * H2 creates its files with the process's umask (often rw-r--r--), and they hold device keys and password
     * hashes: made owner-only at each start, inside a data folder that is owner-only too.
     */
    private static void restrictH2Files(String jdbcUrl) {
        if (!jdbcUrl.startsWith(H2_FILE)) {
            return;
        }
        String name = jdbcUrl.substring(H2_FILE.length()).split(";", 2)[0];
        Path base = Path.of(name).toAbsolutePath();
        String prefix = base.getFileName() + ".";
        try (Stream<Path> files = Files.list(base.getParent())) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().startsWith(prefix) && Files.isRegularFile(file)) {
                    OwnerOnly.restrict(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restrict the database files in " + base.getParent(), e);
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The same instance on every call: see {@link #jdbc}. */
    public Jdbc jdbc() {
        return jdbc;
    }

    public Dialect dialect() {
        return dialect;
    }

    /**
     * Whether the database stores writes now: a real write (one row of {@code store_health_probe} updated and
     * committed) at most once per second, combined with what the last write of anyone found.
     */
    public StorageHealth.State check() {
        synchronized (probeLock) {
            if (!probed || System.nanoTime() - lastProbeNanos >= PROBE_INTERVAL.toNanos()) {
                try {
                    jdbc().update("UPDATE store_health_probe SET probed_at = ? WHERE id = 1",
                            java.time.Instant.now());
                } catch (DataAccessException e) {
                    // recorded in health when it is the storage's failure; a schema error is a bug, shown as such
                    if (!e.isStorageFailure()) {
                        throw e;
                    }
                }
                lastProbeNanos = System.nanoTime();
                probed = true;
            }
        }
        return health.state();
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
