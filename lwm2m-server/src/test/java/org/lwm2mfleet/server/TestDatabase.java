package org.lwm2mfleet.server;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * A fresh PostgreSQL database for one test server, when the suite runs on PostgreSQL
 * ({@code -Dlwm2m.test.database=postgresql}, as the {@code postgresql} Maven profile sets it): created through the
 * maintenance database {@code postgres} on 127.0.0.1:5432 as user {@code postgres} (trust authentication, see
 * {@code .ci/run}), dropped when closed. {@code -Dlwm2m.test.postgresql.url} and {@code -Dlwm2m.test.postgresql.user}
 * point elsewhere.
 */
public final class TestDatabase implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SERVER = System.getProperty("lwm2m.test.postgresql.url",
            "jdbc:postgresql://127.0.0.1:5432/");
    public static final String USER = System.getProperty("lwm2m.test.postgresql.user", "postgres");

    private final String name;

    private TestDatabase(String name) {
        this.name = name;
    }

    /** Whether the tests' servers run on PostgreSQL rather than on an H2 file in their data folder. */
    public static boolean postgresql() {
        return "postgresql".equalsIgnoreCase(System.getProperty("lwm2m.test.database", "h2"));
    }

    public static TestDatabase create() {
        // Lower case and unquoted-safe: PostgreSQL folds unquoted names.
        String name = "fleet_test_" + HexFormat.of().formatHex(bytes());
        maintenance("CREATE DATABASE " + name);
        return new TestDatabase(name);
    }

    private static byte[] bytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    public String url() {
        return SERVER + name;
    }

    public String name() {
        return name;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, null);
    }

    /** Drops the database, ending connections a server that was killed may have left behind. */
    @Override
    public void close() {
        maintenance("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private static void maintenance(String sql) {
        try (Connection connection = DriverManager.getConnection(SERVER + "postgres", USER, null);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on " + SERVER + " (is PostgreSQL running? .ci/run starts it)",
                    e);
        }
    }
}
