package org.lwm2mfleet.server.auth;

import org.lwm2mfleet.server.api.AccessRule;

import java.util.Locale;

import org.lwm2mfleet.server.error.FleetException;

/** What a user or token may do; each role includes the ones before it. */
public enum Role implements AccessRule {
    /** Reads everything, changes nothing. */
    VIEWER,
    /** Operates devices, firmware, campaigns and rules. */
    OPERATOR,
    /** Everything, including users, every token and the audit log. */
    ADMIN;

    public boolean includes(Role other) {
        return compareTo(other) >= 0;
    }

    @Override
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named in a request field, or a 400 naming the field. */
    public static Role parse(String field, String value) {
        if (value != null) {
            for (Role role : values()) {
                if (role.id().equals(value)) {
                    return role;
                }
            }
        }
        throw FleetException.invalid(field, "must be one of viewer, operator, admin, was '" + value + "'");
    }

    public static Role min(Role a, Role b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
