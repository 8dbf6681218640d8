package org.lwm2mfleet.server;

import java.sql.Connection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.h2.api.Trigger;

/**
 * An H2 trigger that records which threads insert telemetry rows: with an embedded database, the trigger runs on the
 * thread that executes the SQL.
 */
public final class H2ThreadRecorder implements Trigger {

    static final Set<String> INSERTING_THREADS = ConcurrentHashMap.newKeySet();

    static void install(Connection connection) throws java.sql.SQLException {
        try (var statement = connection.createStatement()) {
            statement.execute("CREATE TRIGGER IF NOT EXISTS record_insert_thread BEFORE INSERT ON telemetry_points"
                    + " FOR EACH ROW CALL \"" + H2ThreadRecorder.class.getName() + "\"");
        }
    }

    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) {
        INSERTING_THREADS.add(Thread.currentThread().getName());
    }
}
