package org.lwm2mfleet.server.device;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.lwm2mfleet.server.error.FleetException;

/**
 * The order of the device list: a key, then the endpoint to break ties, both ascending or both descending. Devices
 * without a value for the key (no label, never seen) come last in either direction.
 *
 * @param key what to sort by
 * @param descending largest first
 */
public record DeviceSort(Key key, boolean descending) {

    /** By endpoint, ascending: the default. */
    public static final DeviceSort DEFAULT = new DeviceSort(Key.ENDPOINT, false);

    /** The sort keys: the name in {@code ?sort=}, the column, and the index the list scans in that order. */
    public enum Key {
        ENDPOINT("endpoint", "endpoint", null, false),
        LABEL("label", "label_key", "devices_sort_label", true),
        STATUS("status", "status_rank", "devices_sort_status", false),
        LAST_UPDATE("lastUpdate", "last_update", "devices_sort_last_update", true),
        CREATED_AT("createdAt", "created_at", "devices_sort_created_at", false);

        final String wire;
        final String column;
        /** null for the endpoint: the primary key serves it */
        final String index;
        final boolean nullable;

        Key(String wire, String column, String index, boolean nullable) {
            this.wire = wire;
            this.column = column;
            this.index = index;
            this.nullable = nullable;
        }

        public String wire() {
            return wire;
        }
    }

    /** @param text {@code lastUpdate} or {@code -lastUpdate} (descending); null for the default */
    public static DeviceSort parse(String text) {
        if (text == null || text.isBlank()) {
            return DEFAULT;
        }
        String name = text.strip();
        boolean descending = name.startsWith("-");
        if (descending || name.startsWith("+")) {
            name = name.substring(1);
        }
        for (Key key : Key.values()) {
            if (key.wire.equals(name)) {
                return new DeviceSort(key, descending);
            }
        }
        throw FleetException.invalid("sort", "unknown sort '" + text + "': one of "
                + Arrays.stream(Key.values()).map(k -> k.wire).collect(Collectors.joining(", "))
                + ", with a leading '-' for descending");
    }

    /** As given in {@code ?sort=}: {@code -lastUpdate}. */
    @Override
    public String toString() {
        return (descending ? "-" : "") + key.wire;
    }
}
