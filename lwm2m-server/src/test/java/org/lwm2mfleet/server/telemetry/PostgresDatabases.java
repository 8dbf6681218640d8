package org.lwm2mfleet.server.telemetry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.flywaydb.core.Flyway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A fresh PostgreSQL database per test class on the local server (127.0.0.1:5432, user postgres, trust), migrated
 * with {@code db/postgresql}, and dropped at close. While pgcore's {@code V1__schema.sql} is not on the classpath, a
 * test stub V1 with the plain telemetry table stands in for it.
 */
final class PostgresDatabases implements AutoCloseable {

    static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    static final String USER = "postgres";

    final String name;
    final HikariDataSource dataSource;

    private PostgresDatabases(String name, HikariDataSource dataSource) {
        this.name = name;
        this.dataSource = dataSource;
    }

    static PostgresDatabases create(String prefix) throws SQLException {
        PostgresDatabases database = createAt(prefix, "1");
        database.migrate();
        return database;
    }

    /** At schema version {@code target}, to be {@link #migrate}d after rows are put in. */
    static PostgresDatabases createAt(String prefix, String target) throws SQLException {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        admin("CREATE DATABASE " + name);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(SERVER + name);
        config.setUsername(USER);
        config.setMaximumPoolSize(8);
        config.setPoolName(name);
        HikariDataSource dataSource = new HikariDataSource(config);
        PostgresDatabases database = new PostgresDatabases(name, dataSource);
        database.flyway().target(target).load().migrate();
        return database;
    }

    void migrate() {
        flyway().load().migrate();
    }

    private org.flywaydb.core.api.configuration.FluentConfiguration flyway() {
        List<String> locations = new ArrayList<>(List.of("classpath:db/postgresql"));
        if (PostgresDatabases.class.getClassLoader().getResource("db/postgresql/V1__schema.sql") == null) {
            locations.add("classpath:db/postgresql-v1-stub");
        }
        return Flyway.configure().dataSource(dataSource).locations(locations.toArray(String[]::new));
    }

    private static void admin(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(SERVER + "postgres", USER, null)) {
            connection.createStatement().execute(sql);
        }
    }

    @Override
    public void close() throws SQLException {
        dataSource.close();
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
}
