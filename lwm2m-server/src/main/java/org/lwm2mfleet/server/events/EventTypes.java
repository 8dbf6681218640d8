package org.lwm2mfleet.server.events;

import java.util.Set;

/** The event types the server publishes so far. */
public final class EventTypes {
    public static final String REGISTERED = "registered";
    public static final String UPDATED = "updated";
    public static final String DEREGISTERED = "deregistered";
    public static final String EXPIRED = "expired";
    public static final String SLEEPING = "sleeping";
    public static final String AWAKE = "awake";
    public static final String PROVISIONED = "provisioned";
    public static final String DELETED = "deleted";
    public static final String AUTHENTICATION_FAILED = "authentication-failed";
    public static final String NOTIFICATION = "notification";
    public static final String OPERATION = "operation";
    public static final String FIRMWARE = "firmware";
    public static final String CAMPAIGN = "campaign";
    /** A rule fired or cleared on a device. */
    public static final String RULE = "rule";
    public static final String ALERT = "alert";

    public static final Set<String> ALL = Set.of(REGISTERED, UPDATED, DEREGISTERED, EXPIRED, SLEEPING, AWAKE,
            PROVISIONED, DELETED, AUTHENTICATION_FAILED, NOTIFICATION, OPERATION, FIRMWARE, CAMPAIGN, RULE,
            ALERT);

    private EventTypes() {
    }
}
