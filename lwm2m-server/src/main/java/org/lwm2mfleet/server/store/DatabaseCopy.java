package org.lwm2mfleet.server.store;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import javax.sql.DataSource;

/**
 * Copies every row of a fleet's H2 database into a PostgreSQL database migrated to the same schema
 * ({@code db/postgresql/}): tables in foreign-key order, columns by name as the metadata gives them, values read with
 * the getter of the target column's type (H2's BOOLEAN or TINYINT into boolean, CLOB into text, BLOB and VARBINARY
 * into bytea, timestamps with their offset), in batches, all in one target transaction so that a failed copy leaves
 * the target as it was. Identity sequences then continue after the copied ids.
 *
 * <p>Not copied, on purpose: {@link #NOT_COPIED} (each database's own, or H2's own index), the target's generated
 * columns (computed again by PostgreSQL), and {@link #DROPPED_COLUMNS}. Any other table or column of the source that
 * the target lacks stops the copy before it starts: the two schemas are of different versions, and a silent skip
 * would lose data.
 */
public final class DatabaseCopy {

    /** Tables of the source that are not carried over, and why. */
    public static final Map<String, String> NOT_COPIED = Map.of(
            "flyway_schema_history", "each database's own migration history",
            "store_health_probe", "each database's own health probe row",
            "device_search", "H2's search index of endpoints and labels; PostgreSQL indexes them with pg_trgm");

    /** Source columns that the target's schema dropped, and why. */
    public static final Map<String, String> DROPPED_COLUMNS = Map.of(
            "telemetry_points.id", "the partitioned telemetry table has no id (nothing looks a point up by it)");

    /**
     * One table's rows: in the source, and in the target before and after the copy.
     */
    public record Count(String table, long source, long targetBefore, long target) {
        /** Whether the target gained exactly the source's rows. */
        public boolean matches() {
            return target - targetBefore == source;
        }
    }

    /** Called for a table before the copy's transaction opens, with a source connection: e.g. to make partitions. */
    @FunctionalInterface
    public interface Preparation {
        void prepare(String table, Connection source) throws SQLException;
    }

    private record Column(String name, String targetType) {
    }

    private final DataSource source;
    private final DataSource target;
    private final int batchSize;
    /** Tables to copy, parents before children, each with the columns both sides share. */
    private final Map<String, List<Column>> plan;
    /** Per table, the target's identity column, if any. */
    private final Map<String, String> identities;

    /**
     * Reads both schemas and plans the copy.
     *
     * @throws IllegalStateException when the source has a table or column the target lacks (other than those known
     *         above): the schemas are of different versions
     */
    public DatabaseCopy(DataSource source, DataSource target, int batchSize) {
        this.source = source;
        this.target = target;
        this.batchSize = batchSize;
        try {
            Map<String, Set<String>> sourceColumns = sourceColumns();
            TargetSchema schema = targetSchema();
            List<String> problems = new ArrayList<>();
            Map<String, List<Column>> columns = new TreeMap<>();
            for (Map.Entry<String, Set<String>> table : sourceColumns.entrySet()) {
                String name = table.getKey();
                if (NOT_COPIED.containsKey(name)) {
                    continue;
                }
                Map<String, String> targetColumns = schema.columns.get(name);
                if (targetColumns == null) {
                    problems.add("table " + name + " is not in the target");
                    continue;
                }
                List<Column> shared = new ArrayList<>();
                for (String column : table.getValue()) {
                    if (schema.generated.contains(name + "." + column)) {
                        continue;
                    }
                    String type = targetColumns.get(column);
                    if (type != null) {
                        shared.add(new Column(column, type));
                    } else if (!DROPPED_COLUMNS.containsKey(name + "." + column)) {
                        problems.add("column " + name + "." + column + " is not in the target");
                    }
                }
                columns.put(name, shared);
            }
            if (!problems.isEmpty()) {
                throw new IllegalStateException("the source and target schemas differ (are both of this server's"
                        + " version?): " + String.join("; ", problems));
            }
            this.plan = inForeignKeyOrder(columns, schema.parents);
            this.identities = schema.identities;
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    /** The tables that will be copied, parents first. */
    public List<String> tables() {
        return List.copyOf(plan.keySet());
    }

    /** Rows of each of the copy's tables in the target now, in the copy's order. */
    public Map<String, Long> targetCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection connection = target.getConnection()) {
            for (String table : plan.keySet()) {
                counts.put(table, count(connection, table));
            }
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
        return counts;
    }

    /**
     * Copies every planned table in one target transaction, then moves each identity sequence past the copied ids.
     *
     * @param prepare run per table before the transaction opens (DDL such as partitions is better committed apart)
     * @param progress told each table and the rows copied into it
     */
    public void copy(Preparation prepare, Consumer<String> progress) {
        try (Connection from = source.getConnection(); Connection to = target.getConnection()) {
            for (String table : plan.keySet()) {
                prepare.prepare(table, from);
            }
            // The source is not written while it is read: one read-only transaction gives every table the same
            // moment (the server is stopped anyway, H2 holds the file).
            from.setReadOnly(true);
            from.setAutoCommit(false);
            to.setAutoCommit(false);
            try {
                for (Map.Entry<String, List<Column>> table : plan.entrySet()) {
                    long rows = copyTable(from, to, table.getKey(), table.getValue());
                    progress.accept(table.getKey() + ": " + rows + " rows");
                }
                for (Map.Entry<String, String> identity : identities.entrySet()) {
                    if (plan.containsKey(identity.getKey())) {
                        resetIdentity(to, identity.getKey(), identity.getValue());
                    }
                }
                to.commit();
            } catch (SQLException | RuntimeException e) {
                to.rollback();
                throw e;
            } finally {
                from.rollback();
            }
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    /**
     * Rows per copied table on both sides.
     *
     * @param before {@link #targetCounts()} as they were before the copy
     */
    public List<Count> verify(Map<String, Long> before) {
        List<Count> counts = new ArrayList<>();
        try (Connection from = source.getConnection(); Connection to = target.getConnection()) {
            for (String table : plan.keySet()) {
                counts.add(new Count(table, count(from, table), before.getOrDefault(table, 0L), count(to, table)));
            }
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
        return counts;
    }

    private long copyTable(Connection from, Connection to, String table, List<Column> columns) throws SQLException {
        if (columns.isEmpty()) {
            return 0;
        }
        String names = columns.stream().map(Column::name).collect(Collectors.joining(", "));
        String insert = "INSERT INTO " + table + " (" + names + ") VALUES ("
                + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")";
        long rows = 0;
        try (Statement read = from.createStatement(); PreparedStatement write = to.prepareStatement(insert)) {
            read.setFetchSize(batchSize);
            try (ResultSet row = read.executeQuery("SELECT " + names + " FROM " + table)) {
                int pending = 0;
                while (row.next()) {
                    for (int i = 0; i < columns.size(); i++) {
                        transfer(row, write, i + 1, columns.get(i).targetType());
                    }
                    write.addBatch();
                    rows++;
                    if (++pending == batchSize) {
                        write.executeBatch();
                        pending = 0;
                    }
                }
                if (pending > 0) {
                    write.executeBatch();
                }
            }
        }
        return rows;
    }

    /**
     * One value, read with the getter that suits the target's column (its PostgreSQL type name): H2 converts its own
     * types (TINYINT 0/1 to boolean, CLOB to a string, BLOB to bytes) on the way out.
     */
    private static void transfer(ResultSet row, PreparedStatement write, int index, String targetType)
            throws SQLException {
        switch (targetType) {
        case "bool" -> {
            boolean value = row.getBoolean(index);
            if (row.wasNull()) {
                write.setNull(index, Types.BOOLEAN);
            } else {
                write.setBoolean(index, value);
            }
        }
        case "int2", "int4" -> {
            int value = row.getInt(index);
            if (row.wasNull()) {
                write.setNull(index, Types.INTEGER);
            } else if (targetType.equals("int2")) {
                write.setShort(index, (short) value);
            } else {
                write.setInt(index, value);
            }
        }
        case "int8" -> {
            long value = row.getLong(index);
            if (row.wasNull()) {
                write.setNull(index, Types.BIGINT);
            } else {
                write.setLong(index, value);
            }
        }
        case "float4", "float8" -> {
            double value = row.getDouble(index);
            if (row.wasNull()) {
                write.setNull(index, Types.DOUBLE);
            } else {
                write.setDouble(index, value);
            }
        }
        case "numeric" -> write.setBigDecimal(index, row.getBigDecimal(index));
        case "text", "varchar", "bpchar" -> write.setString(index, row.getString(index));
        case "bytea" -> write.setBytes(index, row.getBytes(index));
        case "timestamptz" -> write.setObject(index, row.getObject(index, OffsetDateTime.class));
        case "timestamp" -> write.setObject(index, row.getObject(index, LocalDateTime.class));
        case "date" -> write.setObject(index, row.getObject(index, LocalDate.class));
        default -> write.setObject(index, row.getObject(index));
        }
    }

    /** The next id the server takes is after every copied one (the identities are BY DEFAULT: copied ids kept). */
    private static void resetIdentity(Connection to, String table, String column) throws SQLException {
        try (Statement statement = to.createStatement();
                ResultSet ignored = statement.executeQuery("SELECT setval(pg_get_serial_sequence('" + table + "', '"
                        + column + "'), COALESCE(MAX(" + column + "), 0) + 1, false) FROM " + table)) {
            // setval's result is the value set: nothing to read
        }
    }

    private static long count(Connection connection, String table) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM " + table)) {
            row.next();
            return row.getLong(1);
        }
    }

    /** The source's tables and their columns, lower case (H2 reports unquoted names in upper case). */
    private Map<String, Set<String>> sourceColumns() throws SQLException {
        Map<String, Set<String>> tables = new TreeMap<>();
        try (Connection connection = source.getConnection()) {
            DatabaseMetaData meta = connection.getMetaData();
            String schema = connection.getSchema();
            try (ResultSet row = meta.getTables(null, schema, "%", new String[] { "TABLE", "BASE TABLE" })) {
                while (row.next()) {
                    tables.put(row.getString("TABLE_NAME").toLowerCase(Locale.ROOT), new TreeSet<>());
                }
            }
            try (ResultSet row = meta.getColumns(null, schema, "%", "%")) {
                while (row.next()) {
                    Set<String> columns = tables.get(row.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
                    if (columns != null) {
                        columns.add(row.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return tables;
    }

    private record TargetSchema(Map<String, Map<String, String>> columns, Set<String> generated,
            Map<String, String> identities, Map<String, Set<String>> parents) {
    }

    /** The target's tables (partitions left out: rows go through their parent), column types, identities, keys. */
    private TargetSchema targetSchema() throws SQLException {
        Map<String, Map<String, String>> columns = new TreeMap<>();
        Set<String> generated = new TreeSet<>();
        Map<String, String> identities = new TreeMap<>();
        Map<String, Set<String>> parents = new TreeMap<>();
        try (Connection connection = target.getConnection(); Statement statement = connection.createStatement()) {
            try (ResultSet row = statement.executeQuery("SELECT c.table_name, c.column_name, c.udt_name,"
                    + " c.is_generated, c.is_identity FROM information_schema.columns c"
                    + " JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = current_schema()::regnamespace"
                    + " WHERE c.table_schema = current_schema() AND k.relkind IN ('r', 'p') AND NOT k.relispartition")) {
                while (row.next()) {
                    String table = row.getString(1);
                    String column = row.getString(2);
                    columns.computeIfAbsent(table, t -> new LinkedHashMap<>()).put(column, row.getString(3));
                    if ("ALWAYS".equals(row.getString(4))) {
                        generated.add(table + "." + column);
                    }
                    if ("YES".equals(row.getString(5))) {
                        identities.put(table, column);
                    }
                }
            }
            try (ResultSet row = statement.executeQuery("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text"
                    + " FROM pg_constraint c WHERE c.contype = 'f'"
                    + " AND c.connamespace = current_schema()::regnamespace")) {
                while (row.next()) {
                    parents.computeIfAbsent(row.getString(1), t -> new TreeSet<>()).add(row.getString(2));
                }
            }
        }
        return new TargetSchema(columns, generated, identities, parents);
    }

    /** Parents before children (a foreign key's table before the table it references from), else by name. */
    private static Map<String, List<Column>> inForeignKeyOrder(Map<String, List<Column>> tables,
            Map<String, Set<String>> parents) {
        Map<String, List<Column>> ordered = new LinkedHashMap<>();
        while (ordered.size() < tables.size()) {
            boolean progressed = false;
            for (Map.Entry<String, List<Column>> table : tables.entrySet()) {
                if (ordered.containsKey(table.getKey())) {
                    continue;
                }
                Set<String> needs = parents.getOrDefault(table.getKey(), Set.of());
                if (needs.stream().allMatch(p -> p.equals(table.getKey()) || ordered.containsKey(p)
                        || !tables.containsKey(p))) {
                    ordered.put(table.getKey(), table.getValue());
                    progressed = true;
                }
            }
            if (!progressed) {
                throw new IllegalStateException("foreign keys form a cycle among " + tables.keySet().stream()
                        .filter(t -> !ordered.containsKey(t)).toList());
            }
        }
        return ordered;
    }
}
