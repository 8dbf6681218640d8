package org.lwm2mfleet.server.device;

/**
 * A filtered, paged look at the registry. Every filter is optional (null).
 *
 * @param status only devices in this status
 * @param tag only devices with this tag
 * @param text endpoint or label contains this, case-insensitively
 * @param objectId only devices that announced this object
 * @param after cursor: only endpoints sorting after this one
 * @param limit at most this many
 */
public record DeviceQuery(DeviceStatus status, String tag, String text, Integer objectId, String after, int limit) {
}
