package org.lwm2mfleet.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import org.h2.api.Trigger;

/**
 * A trigger on firmware_updates that records the most device updates ever under way at once: each new update counts
 * the ones not finished yet, in the inserting transaction. On H2 a Java trigger; on PostgreSQL a PL/pgSQL one that
 * keeps the figure in a table of its own.
 */
public final class ActiveUpdatesRecorder implements Trigger {

    static final AtomicInteger MAX_ACTIVE = new AtomicInteger();

    static void install(TestServer server) throws SQLException {
        try (var connection = server.connectToDatabase(); var statement = connection.createStatement()) {
            if (!server.onPostgresql()) {
                statement.execute("CREATE TRIGGER IF NOT EXISTS record_active_updates BEFORE INSERT ON firmware_updates"
                        + " FOR EACH ROW CALL \"" + ActiveUpdatesRecorder.class.getName() + "\"");
                return;
            }
            statement.execute("CREATE TABLE test_max_active (n INT NOT NULL)");
            statement.execute("INSERT INTO test_max_active VALUES (0)");
            statement.execute("CREATE FUNCTION test_record_active() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " UPDATE test_max_active SET n = GREATEST(n, 1 + (SELECT COUNT(*) FROM firmware_updates"
                    + " WHERE status NOT IN ('succeeded', 'failed'))); RETURN NEW; END $$");
            statement.execute("CREATE TRIGGER record_active_updates BEFORE INSERT ON firmware_updates"
                    + " FOR EACH ROW EXECUTE FUNCTION test_record_active()");
        }
    }

    static int maxActive(TestServer server) throws SQLException {
        if (!server.onPostgresql()) {
            return MAX_ACTIVE.get();
        }
        try (var connection = server.connectToDatabase(); var statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT n FROM test_max_active")) {
            rows.next();
            return rows.getInt(1);
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
