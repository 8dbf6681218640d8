package org.lwm2mfleet.bench;

import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * Starts a server for a scenario. The bench's own launcher runs the server's jar in a child JVM
 * ({@link ChildJvmLauncher}); tests supply one that starts the server in their own process.
 */
public interface ServerLauncher {

    /** What a scenario needs from the server: which server, the fleet's secret (X.509 trust, Leshan's PSKs). */
    record Spec(ServerKind kind, SecurityMode securityMode, String fleetSecret) {
    }

    enum ServerKind {
        /** LwM2M Fleet, this project's server. */
        FLEET,
        /** A bare Leshan server of the same version: the baseline. */
        LESHAN
    }

    ServerHandle launch(Spec spec) throws Exception;
}
