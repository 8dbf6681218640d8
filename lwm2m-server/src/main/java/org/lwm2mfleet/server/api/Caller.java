package org.lwm2mfleet.server.api;

/**
 * Who calls a route, as the {@link Gate} established it: what the plumbing and the feature rooms need of a caller,
 * without knowing how callers sign in or which roles exist.
 */
public interface Caller {

    /** How logs and records name the caller: {@code alice} or {@code alice/token:ci}. */
    String actor();

    /** The user acting (a token's owner): what per-user limits count. */
    String user();

    /** Whether the caller may do what {@code rule} needs (for a route, or a decision inside one). */
    boolean may(AccessRule rule);
}
