package org.lwm2mfleet.server.device;

/** Where a device stands: registered and reachable, registered in queue mode and asleep, or not registered. */
public enum DeviceStatus {
    ONLINE, SLEEPING, OFFLINE
}
