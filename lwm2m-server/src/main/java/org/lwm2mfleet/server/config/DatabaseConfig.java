package org.lwm2mfleet.server.config;

/**
 * How the server signs in to its database and how many connections it keeps. The URL stays in
 * {@link ServerConfig#databaseUrl()} (null: the embedded H2 file).
 *
 * @param user database user, or null for the driver's default (H2: none; PostgreSQL: the URL's or the OS user)
 * @param password the user's password, or null (trust or peer authentication, or a password in the URL)
 * @param poolSize the most connections open at once
 */
public record DatabaseConfig(String user, String password, int poolSize) {

    public DatabaseConfig {
        if (poolSize < 2 || poolSize > 200) {
            // Two at least: a transaction and the health probe must be able to run side by side.
            throw new InvalidConfigException("database-pool-size", "must be between 2 and 200, was " + poolSize);
        }
    }

    /** The command line's defaults. */
    public static DatabaseConfig defaults() {
        return new DatabaseConfig(null, null, 8);
    }

    public DatabaseConfig withUser(String name) {
        return new DatabaseConfig(name, password, poolSize);
    }

    public DatabaseConfig withPoolSize(int size) {
        return new DatabaseConfig(user, password, size);
    }

    /** Never shows the password: configurations end up in logs. */
    @Override
    public String toString() {
        return "DatabaseConfig[user=" + user + ", password=" + (password == null ? "none" : "***") + ", poolSize="
                + poolSize + "]";
    }
}
