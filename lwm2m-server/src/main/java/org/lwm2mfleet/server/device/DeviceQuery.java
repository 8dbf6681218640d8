package org.lwm2mfleet.server.device;

/**
 * A filtered, sorted, paged look at the registry. Every filter is optional (null).
 *
 * @param status only devices in this status
 * @param tag only devices with this tag
 * @param text endpoint or label contains this, case-insensitively
 * @param objectId only devices that announced this object
 * @param cursor the {@code nextCursor} of the previous page (opaque; made for one sort), or null for the first page
 * @param limit at most this many
 * @param sort the order (null: by endpoint)
 */
public record DeviceQuery(DeviceStatus status, String tag, String text, Integer objectId, String cursor, int limit,
        DeviceSort sort) {

    public DeviceQuery {
        sort = sort == null ? DeviceSort.DEFAULT : sort;
    }

    /** Sorted by endpoint. */
    public DeviceQuery(DeviceStatus status, String tag, String text, Integer objectId, String cursor, int limit) {
        this(status, tag, text, objectId, cursor, limit, DeviceSort.DEFAULT);
    }
}
