package org.lwm2mfleet.server.device;

/**
 * A room that keeps rows per device in its own tables (points, operation log, pending operations, observations,
 * firmware facts). {@link DeviceService} deletes a device and calls every owner in one transaction, so either the
 * device and all it left behind are gone, or nothing is (no orphans after a crash, and a failure reaches the caller).
 */
public interface DeviceDataOwner {

    /**
     * Deletes what this room holds for {@code endpoint}. Runs inside the caller's transaction, on the caller's thread,
     * with the database's one shared {@code Jdbc}: it must not hand the SQL to another thread (that would run outside
     * the transaction). Throwing rolls back the whole deletion.
     */
    void deleteAllOf(String endpoint);
}
