package org.lwm2mfleet.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.lwm2mfleet.server.TestDatabase;
import org.lwm2mfleet.server.config.InvalidConfigException;

/** The store on a real PostgreSQL (127.0.0.1:5432, as .ci/run provides), in a database of its own. */
class PostgresqlDatabaseTest {

    @Test
    void opensMigratesWithItsOwnSchemaAndUpsertsAsH2Merges() throws Exception {
        try (TestDatabase pg = TestDatabase.create();
                Database database = Database.open(pg.url(), TestDatabase.USER, null, 4)) {
            assertThat(database.dialect()).isEqualTo(Dialect.POSTGRESQL);
            Jdbc jdbc = database.jdbc();
            // Its own folder: the consolidated schema, partitioned telemetry, kept registrations.
            assertThat(jdbc.query("SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL",
                    row -> row.getString("version"))).contains("1", "2", "20");
            assertThat(jdbc.queryOne("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'",
                    row -> row.getString(1))).isPresent();
            // No gram table on PostgreSQL: pg_trgm indexes the devices themselves.
            assertThat(jdbc.queryOne("SELECT to_regclass('device_search') IS NULL AS absent",
                    row -> row.getBoolean("absent"))).contains(true);
            assertThat(database.check().up()).isTrue();

            String upsert = jdbc.dialect().upsert("observations",
                    List.of("endpoint", "paths", "composite", "attributes", "format", "created_at"),
                    List.of("endpoint", "paths"));
            jdbc.update(upsert, "dev-1", "/3/0", false, "pmin=1", null, Instant.parse("2026-01-01T00:00:00Z"));
            jdbc.update(upsert, "dev-1", "/3/0", false, "pmin=5", "SENML_CBOR", Instant.parse("2026-01-02T00:00:00Z"));
            assertThat(jdbc.query("SELECT attributes, format FROM observations WHERE endpoint = ?",
                    row -> row.getString(1) + " " + row.getString(2), "dev-1")).containsExactly("pmin=5 SENML_CBOR");
        }
    }

    @Test
    void containsSearchIsServedByTheTrigramIndexesAndListOrderIsCodePointOrder() throws Exception {
        try (TestDatabase pg = TestDatabase.create();
                Database database = Database.open(pg.url(), TestDatabase.USER, null, 4)) {
            Jdbc jdbc = database.jdbc();
            List<Object[]> rows = new ArrayList<>();
            for (String endpoint : List.of("b-meter", "B-meter", "a_sensor", "Zeta", "ñandu")) {
                rows.add(new Object[] { endpoint, "Site " + endpoint, Instant.now() });
            }
            jdbc.batch("INSERT INTO devices (endpoint, label, credentials_kind, created_at, status)"
                    + " VALUES (?, ?, 'none', ?, 'OFFLINE')", rows);
            // "C" collation: code points, as on H2, whatever the database's locale.
            assertThat(jdbc.query("SELECT endpoint FROM devices ORDER BY endpoint", row -> row.getString(1)))
                    .containsExactly("B-meter", "Zeta", "a_sensor", "b-meter", "ñandu");

            try (Connection connection = pg.connect(); Statement statement = connection.createStatement()) {
                // A fleet large enough for the planner to prefer the indexes to a scan of every device.
                statement.execute("INSERT INTO devices (endpoint, label, credentials_kind, created_at, status)"
                        + " SELECT 'meter-' || n, 'Site ' || (n % 100), 'none', now(), 'OFFLINE'"
                        + " FROM generate_series(1, 20000) n");
                // Statistics, as autovacuum gathers them; no VACUUM: the GIN indexes take new rows at once.
                statement.execute("ANALYZE devices");
                StringBuilder plan = new StringBuilder();
                try (ResultSet row = statement.executeQuery("EXPLAIN SELECT endpoint FROM devices d WHERE"
                        + " LOWER(d.endpoint) LIKE '%ter-1234%' OR d.label_key LIKE '%ter-1234%'")) {
                    while (row.next()) {
                        plan.append(row.getString(1)).append('\n');
                    }
                }
                assertThat(plan).as(plan.toString()).contains("devices_search_endpoint").contains("devices_search_label");
            }
        }
    }

    @Test
    void aDatabaseThatCannotBeReachedStopsTheStartNamingTheOptionButNotTheUrlsPassword() {
        assertThatThrownBy(() -> Database.open("jdbc:postgresql://127.0.0.1:1/fleet?password=hunter2", "fleet",
                null, 2)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("--database-url cannot reach the database at jdbc:postgresql://127.0.0.1:1/fleet:")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void storageStatesOfPostgresqlCountAsStorageFailures() {
        assertThat(DataAccessException.isStorageFailure(new org.postgresql.util.PSQLException("disk full",
                org.postgresql.util.PSQLState.UNKNOWN_STATE) {
            @Override
            public String getSQLState() {
                return "53100";
            }
        })).isTrue();
        assertThat(new DataAccessException(new org.postgresql.util.PSQLException("duplicate",
                org.postgresql.util.PSQLState.UNIQUE_VIOLATION)).isStorageFailure()).isFalse();
    }
}
