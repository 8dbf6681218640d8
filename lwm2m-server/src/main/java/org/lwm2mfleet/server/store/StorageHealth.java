package org.lwm2mfleet.server.store;

import java.time.Instant;

/**
 * Whether the database stores what it is given, as the last write (a request's, a background writer's or the health
 * probe's) found it: a write that failed for the storage's sake (closed, unreachable, I/O, disk full) makes it DOWN
 * until a later write succeeds. Constraint and SQL errors say nothing about the storage and leave it as it is.
 */
public final class StorageHealth {

    /** The state as of one write: {@code failure} is null when it succeeded. */
    public record State(boolean up, String failure, Instant at) {
    }

    private volatile State state = new State(true, null, Instant.EPOCH);

    void stored() {
        // Only a change of state is written: most writes find it up, and this is on every commit's path.
        if (!state.up()) {
            state = new State(true, null, Instant.now());
        }
    }

    void failed(DataAccessException failure) {
        if (failure.isStorageFailure()) {
            // The message names the file or the connection problem, never a statement's parameters.
            state = new State(false, failure.getMessage(), Instant.now());
        }
    }

    public State state() {
        return state;
    }
}
