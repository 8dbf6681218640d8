package org.lwm2mfleet.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

/**
 * Plain JDBC without the ceremony: statements with positional parameters, rows mapped by a lambda, and a transaction
 * that every call inside {@link #inTransaction} joins. Rooms write their own SQL with it.
 */
public final class Jdbc {

    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    private final DataSource dataSource;
    private final StorageHealth health;
    private final Dialect dialect;
    private final ThreadLocal<Connection> transaction = new ThreadLocal<>();

    /**
     * One per database, made by {@link Database}: the transaction of a thread lives in this instance, so rooms join
     * each other's transactions only when they share it.
     *
     * @param health told the outcome of every write, so that {@code /health} reports what writes find
     * @param dialect the database's, for the few statements that differ
     */
    Jdbc(DataSource dataSource, StorageHealth health, Dialect dialect) {
        this.dataSource = dataSource;
        this.health = health;
        this.dialect = dialect;
    }

    /** Which database this is: for the statements that cannot be written the same for both. */
    public Dialect dialect() {
        return dialect;
    }

    /**
     * A Jdbc over a data source its caller owns, for tools and tests that work on a database without a server; the
     * server's rooms share their {@link Database}'s one.
     */
    public static Jdbc over(DataSource dataSource) {
        return new Jdbc(dataSource, new StorageHealth(), dialectOf(dataSource));
    }

    private static Dialect dialectOf(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return Dialect.of(connection.getMetaData().getURL());
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        return withConnection(false, connection -> {
            try (PreparedStatement statement = prepare(connection, sql, params);
                    ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(mapper.map(rows));
                }
                return result;
            }
        });
    }

    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    public int update(String sql, Object... params) {
        return withConnection(true, connection -> {
            try (PreparedStatement statement = prepare(connection, sql, params)) {
                return statement.executeUpdate();
            }
        });
    }

    /** Runs an INSERT and returns the key the database generated for the new row. */
    public long insert(String sql, Object... params) {
        return withConnection(true, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql,
                    java.sql.Statement.RETURN_GENERATED_KEYS)) {
                bind(statement, params);
                statement.executeUpdate();
                try (ResultSet keys = statement.getGeneratedKeys()) {
                    if (!keys.next()) {
                        throw new SQLException("no generated key for: " + sql);
                    }
                    return keys.getLong(1);
                }
            }
        });
    }

    /**
     * Runs one statement for many rows in one batch and one transaction (the caller's, if any): one round of the
     * driver and one commit instead of one of each per row (in auto-commit, H2 commits each row of a batch).
     *
     * @return the update count of each row
     */
    public int[] batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return new int[0];
        }
        return inTransaction(() -> withConnection(true, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (Object[] row : rows) {
                    bind(statement, row);
                    statement.addBatch();
                }
                return statement.executeBatch();
            }
        }));
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. Called inside
     * another transaction on the same thread (another room's, say), it joins that one: nothing is committed until the
     * outermost returns, and a failure that reaches the outermost rolls back every room's writes. A failure the
     * caller catches inside does not: what ran before it stays in the transaction.
     */
    public <T> T inTransaction(Work<T> work) {
        if (transaction.get() != null) {
            return call(work);
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            transaction.set(connection);
            try {
                T result = work.run();
                connection.commit();
                health.stored();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw e;
            } finally {
                transaction.remove();
                restoreAutoCommit(connection);
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /** A rollback that fails (the database is gone) must not hide why the transaction failed. */
    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            // a broken connection: the pool evicts it when it is closed
        }
    }

    private DataAccessException failure(SQLException e) {
        DataAccessException failure = new DataAccessException(e);
        health.failed(failure);
        return failure;
    }

    public static Timestamp timestamp(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }

    public static Instant instant(ResultSet row, String column) throws SQLException {
        Timestamp value = row.getTimestamp(column);
        return value == null ? null : value.toInstant();
    }

    private interface ConnectionWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** @param write true when {@code work} changes rows: outside a transaction its success is a stored write */
    private <T> T withConnection(boolean write, ConnectionWork<T> work) {
        Connection joined = transaction.get();
        try {
            if (joined != null) {
                return work.run(joined);
            }
            try (Connection connection = dataSource.getConnection()) {
                T result = work.run(connection);
                if (write) {
                    health.stored();
                }
                return result;
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private <T> T call(Work<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... params) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        bind(statement, params);
        return statement;
    }

    private static void bind(PreparedStatement statement, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            statement.setObject(i + 1, params[i] instanceof Instant at ? Timestamp.from(at) : params[i]);
        }
    }
}
