package org.lwm2mfleet.server.store;

import java.sql.SQLException;

/** A database failure, unchecked so that services need not declare it; the SQL state stays reachable. */
public class DataAccessException extends RuntimeException {
    public DataAccessException(SQLException cause) {
        super(cause.getMessage(), cause);
    }

    /** True when the statement broke a unique or primary key constraint (SQL state class 23, code 23505). */
    public boolean isUniqueViolation() {
        return getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState());
    }
}
