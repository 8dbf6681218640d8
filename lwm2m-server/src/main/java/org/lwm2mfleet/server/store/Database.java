package org.lwm2mfleet.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;

/** The connection pool, migrated to the newest schema when opened. */
public final class Database implements AutoCloseable {

    private static final String H2_FILE = "jdbc:h2:file:";
    /** How long {@code /health} reuses the last probe: it is open to anyone, and each probe is a commit. */
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

    private final HikariDataSource dataSource;
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

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbc = new Jdbc(dataSource, health);
    }

    public static Database open(String jdbcUrl) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName("fleet-db");
        config.setMaximumPoolSize(8);
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
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
            restrictH2Files(jdbcUrl);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new Database(dataSource);
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
