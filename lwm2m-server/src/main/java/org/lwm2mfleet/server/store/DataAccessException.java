package org.lwm2mfleet.server.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

import org.h2.api.ErrorCode;

/** A database failure, unchecked so that services need not declare it; the SQL state stays reachable. */
public class DataAccessException extends RuntimeException {

    /**
     * H2's codes for a database that cannot store or be reached: closed (after a panic or SHUTDOWN), I/O errors (a
     * full disk is one), read-only, corrupted, locked by another process, out of memory; and its general error,
     * which is how an MVStore failure inside a commit surfaces.
     */
    private static final Set<Integer> H2_STORAGE_CODES = Set.of(ErrorCode.DATABASE_IS_CLOSED,
            ErrorCode.DATABASE_CALLED_AT_SHUTDOWN, ErrorCode.IO_EXCEPTION_1, ErrorCode.IO_EXCEPTION_2,
            ErrorCode.DATABASE_IS_READ_ONLY, ErrorCode.FILE_CORRUPTED_1,
            ErrorCode.DATABASE_ALREADY_OPEN_1, ErrorCode.OUT_OF_MEMORY, ErrorCode.GENERAL_ERROR_1,
            ErrorCode.CONNECTION_BROKEN_1, ErrorCode.FILE_NOT_FOUND_1, ErrorCode.DATABASE_IS_IN_EXCLUSIVE_MODE);

    public DataAccessException(SQLException cause) {
        super(cause.getMessage(), cause);
    }

    /** True when the statement broke a unique or primary key constraint (SQL state class 23, code 23505). */
    public boolean isUniqueViolation() {
        return getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState());
    }

    /**
     * True when the storage failed rather than the statement: the database is closed, unreachable, out of space or
     * broken. Callers answer 503 for it; a request that breaks a constraint is not one.
     */
    public boolean isStorageFailure() {
        return getCause() instanceof SQLException sql && isStorageFailure(sql);
    }

    static boolean isStorageFailure(SQLException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException) {
                return true;
            }
            if (t instanceof SQLException sql && ((sql.getSQLState() != null && sql.getSQLState().startsWith("08"))
                    || H2_STORAGE_CODES.contains(sql.getErrorCode()) || isPostgresqlStorageState(sql))) {
                return true;
            }
        }
        return false;
    }

    /**
     * PostgreSQL's SQL states of a server that cannot store: insufficient resources (53: disk full, out of memory, too
     * many connections), operator intervention (57P: shutting down, cannot connect now), system errors (58: I/O),
     * internal errors (XX: corrupted data) and a read-only standby (25006). H2 uses none of these states (its own
     * are the codes above); PostgreSQL puts the class in the state.
     */
    private static boolean isPostgresqlStorageState(SQLException sql) {
        String state = sql.getSQLState();
        return state != null && (state.startsWith("53") || state.startsWith("57P") || state.startsWith("58")
                        || state.startsWith("XX") || state.equals("25006"));
    }
}
