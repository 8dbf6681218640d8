package org.lwm2mfleet.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Transactions across rooms on a real (in-memory H2) database with its migrations: each room asks the database for
 * its {@link Jdbc}, and a transaction opened by one joins the other's statements.
 */
class JdbcTransactionTest {

    private final Database database = Database.open("jdbc:h2:mem:tx-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    /** What two rooms get at wiring time. */
    private final Jdbc ops = database.jdbc();
    private final Jdbc telemetry = database.jdbc();

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void everyRoomGetsTheSameInstance() {
        assertThat(ops).isSameAs(telemetry);
    }

    @Test
    void anInnerTransactionOfAnotherRoomJoinsTheOuterOneAndCommitsWithIt() {
        ops.inTransaction(() -> {
            ops.update("INSERT INTO operation_log (endpoint, operation, target, requested_by, requested_at, outcome,"
                    + " latency_ms) VALUES ('dev-1', 'read', '/3/0', 'test', CURRENT_TIMESTAMP, 'ok', 1)");
            telemetry.inTransaction(() -> telemetry.update(point("dev-1")));
            // Same connection: the inner statements see the outer's row, and nothing is committed yet, as another
            // thread (its own connection) shows.
            assertThat(count(ops, "operation_log")).isEqualTo(1);
            assertThat(countElsewhere("operation_log")).isZero();
            assertThat(countElsewhere("telemetry_points")).isZero();
            return null;
        });
        assertThat(countElsewhere("operation_log")).isEqualTo(1);
        assertThat(countElsewhere("telemetry_points")).isEqualTo(1);
    }

    @Test
    void aFailureAfterTheInnerTransactionReturnedRollsBackEveryRoomsWrites() {
        telemetry.update(point("kept"));
        assertThatThrownBy(() -> ops.inTransaction(() -> {
            ops.update("DELETE FROM telemetry_points");
            telemetry.inTransaction(() -> telemetry.update(point("dev-2")));
            ops.inTransaction(() -> ops.update("INSERT INTO observations (endpoint, paths, composite, format,"
                    + " created_at) VALUES ('dev-2', '/3303/0/5700', FALSE, NULL, CURRENT_TIMESTAMP)"));
            throw new IllegalStateException("a room failed");
        })).isInstanceOf(IllegalStateException.class).hasMessage("a room failed");

        assertThat(countElsewhere("telemetry_points")).isEqualTo(1);
        assertThat(ops.queryOne("SELECT endpoint FROM telemetry_points", r -> r.getString("endpoint")))
                .contains("kept");
        assertThat(countElsewhere("observations")).isZero();
    }

    @Test
    void aFailingStatementInAnInnerTransactionRollsBackTheOuterOnesWritesToo() {
        assertThatThrownBy(() -> ops.inTransaction(() -> {
            ops.update(point("dev-3"));
            return telemetry.inTransaction(() -> telemetry.update("INSERT INTO no_such_table VALUES (1)"));
        })).isInstanceOf(DataAccessException.class);

        assertThat(countElsewhere("telemetry_points")).isZero();
        // The thread's transaction is over: the next statement runs and commits on its own.
        telemetry.update(point("dev-4"));
        assertThat(countElsewhere("telemetry_points")).isEqualTo(1);
    }

    private static String point(String endpoint) {
        return "INSERT INTO telemetry_points (endpoint, path, ts_ms, num_value, value_type, source) VALUES ('"
                + endpoint + "', '/3303/0/5700', 1, 21.5, 'FLOAT', 'test')";
    }

    private static long count(Jdbc jdbc, String table) {
        return jdbc.queryOne("SELECT COUNT(*) AS n FROM " + table, r -> r.getLong("n")).orElseThrow();
    }

    /** The count another thread sees: outside this thread's transaction, so only what is committed. */
    private long countElsewhere(String table) {
        return CompletableFuture.supplyAsync(() -> count(database.jdbc(), table)).orTimeout(10, TimeUnit.SECONDS)
                .join();
    }
}
