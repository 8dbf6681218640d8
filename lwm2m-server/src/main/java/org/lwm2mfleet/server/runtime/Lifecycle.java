package org.lwm2mfleet.server.runtime;

/**
 * A part of the server that is built first and started later. Its constructor only stores its collaborators; {@link
 * #start} subscribes to events, schedules its background work, starts its thread and runs its first SQL; {@link
 * #close} undoes that. {@code FleetServer} starts the parts in one visible order and closes them in the reverse one,
 * so a failing start, a restart or a second node in the same JVM leaves nothing running behind.
 */
public interface Lifecycle extends AutoCloseable {

    void start() throws Exception;

    /** Stops what {@link #start} started; also called on a part whose start did not complete. */
    @Override
    void close() throws Exception;
}
