package org.lwm2mfleet.sim.fleet;

/** How a simulated device secures its connection to the server. */
public enum SecurityMode {
    NONE, PSK, RPK, X509
}
