package org.lwm2mfleet.server.device;

import java.util.List;

/** One page of devices; {@code nextCursor} is null on the last page. */
public record DevicePage(List<Device> items, String nextCursor) {
}
