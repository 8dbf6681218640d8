package org.lwm2mfleet.server.store;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Where H2 and PostgreSQL need different SQL. Rooms write portable SQL wherever there is some, and ask their
 * {@link Jdbc#dialect()} only for what differs: an upsert, an index hint, the migrations.
 */
public enum Dialect {

    H2("classpath:db/migration"),
    POSTGRESQL("classpath:db/postgresql");

    private final String migrations;

    Dialect(String migrations) {
        this.migrations = migrations;
    }

    /** The dialect of a JDBC URL: PostgreSQL for {@code jdbc:postgresql:}, H2 otherwise. */
    public static Dialect of(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:postgresql:") ? POSTGRESQL : H2;
    }

    /** Flyway's location of this database's migrations (H2's folder is the original one, never edited). */
    String migrations() {
        return migrations;
    }

    /**
     * Insert the row, or update its other columns where a row with the same {@code keys} exists: H2's
     * {@code MERGE ... KEY}, PostgreSQL's {@code INSERT ... ON CONFLICT DO UPDATE}. Parameters are the columns' values
     * in the order of {@code columns}.
     *
     * @param keys columns of the primary key or of a unique constraint
     */
    public String upsert(String table, List<String> columns, List<String> keys) {
        String values = columns.stream().map(c -> "?").collect(Collectors.joining(", "));
        String names = String.join(", ", columns);
        if (this == H2) {
            return "MERGE INTO " + table + " (" + names + ") KEY (" + String.join(", ", keys) + ") VALUES (" + values
                    + ")";
        }
        List<String> others = columns.stream().filter(c -> !keys.contains(c)).toList();
        return "INSERT INTO " + table + " (" + names + ") VALUES (" + values + ") ON CONFLICT ("
                + String.join(", ", keys) + ") DO " + (others.isEmpty() ? "NOTHING"
                        : "UPDATE SET " + others.stream().map(c -> c + " = EXCLUDED." + c)
                                .collect(Collectors.joining(", ")));
    }

    /**
     * A hint after a table's name that makes H2 scan {@code index} (its planner misjudges keyset pages, see the
     * device list); empty on PostgreSQL, whose planner has statistics and takes no hints.
     */
    public String useIndex(String index) {
        return this == H2 ? " USE INDEX (" + index + ")" : "";
    }
}
