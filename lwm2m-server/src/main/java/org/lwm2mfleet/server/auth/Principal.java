package org.lwm2mfleet.server.auth;

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
        boolean mustChangePassword) {

    /** How the audit log names the caller: {@code alice} or {@code alice/token:ci}. */
    public String actor() {
        return tokenName == null ? username : username + "/token:" + tokenName;
    }

    public boolean viaSession() {
        return sessionId != null;
    }
}
