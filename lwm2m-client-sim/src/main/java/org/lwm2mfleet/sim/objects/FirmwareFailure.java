package org.lwm2mfleet.sim.objects;

/** A failure a simulated device can be told to have during a firmware update, with the Update Result it reports. */
public enum FirmwareFailure {
    /** Behaves. */
    NONE(0),
    /** Refuses the package before downloading: not enough flash (Update Result 2). */
    NOT_ENOUGH_FLASH(2),
    /** Loses the connection during the download (Update Result 4). */
    CONNECTION_LOST(4),
    /** The downloaded bytes do not match their digest (Update Result 5). */
    INTEGRITY_CHECK(5),
    /** Installing fails (Update Result 8). */
    UPDATE_FAILED(8),
    /** Goes silent in Updating and never comes back with a result. */
    SILENT_IN_UPDATING(0);

    private final int updateResult;

    FirmwareFailure(int updateResult) {
        this.updateResult = updateResult;
    }

    public int updateResult() {
        return updateResult;
    }

    public static FirmwareFailure parse(String text) {
        return valueOf(text.strip().toUpperCase().replace('-', '_'));
    }
}
