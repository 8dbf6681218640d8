package org.lwm2mfleet.server.telemetry;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;

import javax.sql.DataSource;

import org.lwm2mfleet.server.store.DataAccessException;
import org.lwm2mfleet.server.store.Database;
import org.lwm2mfleet.server.store.Jdbc;

/** Picks the telemetry store for the database the server runs on. */
public final class TelemetryStores {

    private TelemetryStores() {
    }

    /**
     * PostgreSQL gets the partitioned store, its partitions of today and the next days created now (before the first
     * notification is written); anything else the H2 store.
     */
    public static TelemetryStore forDatabase(Database database, Clock clock) {
        return forDataSource(database.dataSource(), database.jdbc(), clock);
    }

    public static TelemetryStore forDataSource(DataSource dataSource, Jdbc jdbc, Clock clock) {
        if (isPostgres(dataSource)) {
            PostgresTelemetryStore store = new PostgresTelemetryStore(dataSource, jdbc);
            store.maintain(clock.instant());
            return store;
        }
        return new H2TelemetryStore(jdbc);
    }

    /** Asked of the connection rather than parsed from the URL: a pool or proxy may hide the URL's form. */
    static boolean isPostgres(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return "PostgreSQL".equals(connection.getMetaData().getDatabaseProductName());
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }
}
