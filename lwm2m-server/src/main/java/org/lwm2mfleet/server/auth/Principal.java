package org.lwm2mfleet.server.auth;

import org.lwm2mfleet.server.api.AccessRule;
import org.lwm2mfleet.server.api.Caller;
import org.lwm2mfleet.server.api.Exchange;

/**
 * Who is calling: a signed-in user (browser session) or an API token acting for its owner.
 *
 * @param username the user, or the token's owner
 * @param role what the caller may do now: for a token, the lower of its role and its owner's
 * @param tokenName the token's name, or null for a browser session
 * @param sessionId the browser session, or null for a token
 * @param mustChangePassword the user signed in with a one-time password and may only change it
 */
public record Principal(String username, Role role, String tokenName, String sessionId,
        boolean mustChangePassword) implements Caller {

    /** The principal the access gate admitted for this exchange; null on open routes. */
    public static Principal of(Exchange exchange) {
        return (Principal) exchange.caller();
    }

    @Override
    public String user() {
        return username;
    }

    /** A role rule is met by that role and every higher one. */
    @Override
    public boolean may(AccessRule rule) {
        return rule instanceof Role needed && role.includes(needed);
    }

    /** How the audit log names the caller: {@code alice} or {@code alice/token:ci}. */
    @Override
    public String actor() {
        return tokenName == null ? username : username + "/token:" + tokenName;
    }

    public boolean viaSession() {
        return sessionId != null;
    }
}
