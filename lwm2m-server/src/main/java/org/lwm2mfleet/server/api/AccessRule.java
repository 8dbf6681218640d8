package org.lwm2mfleet.server.api;

/**
 * What a route needs of its caller. The access room defines the rules (its roles) and the {@link Gate} checks
 * them; the router only carries each route's rule.
 */
public interface AccessRule {

    /** As the route table and errors show it: {@code viewer}. */
    String id();
}
