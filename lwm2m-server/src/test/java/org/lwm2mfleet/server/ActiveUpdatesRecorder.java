package org.lwm2mfleet.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import org.h2.api.Trigger;

/**
 * An H2 trigger on firmware_updates that records the most device updates ever under way at once: each new update
 * counts the ones not finished yet, in the inserting transaction.
 */
public final class ActiveUpdatesRecorder implements Trigger {

    static final AtomicInteger MAX_ACTIVE = new AtomicInteger();

    static void install(String jdbcUrl) throws SQLException {
        try (var connection = java.sql.DriverManager.getConnection(jdbcUrl);
                var statement = connection.createStatement()) {
            statement.execute("CREATE TRIGGER IF NOT EXISTS record_active_updates BEFORE INSERT ON firmware_updates"
                    + " FOR EACH ROW CALL \"" + ActiveUpdatesRecorder.class.getName() + "\"");
        }
    }

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
        try (var statement = connection.createStatement();
                var rows = statement.executeQuery(
                        "SELECT COUNT(*) FROM firmware_updates WHERE status NOT IN ('succeeded', 'failed')")) {
            rows.next();
            MAX_ACTIVE.accumulateAndGet(rows.getInt(1) + 1, Math::max);
        }
    }
}
