package org.lwm2mfleet.bench;

import java.net.URI;
import java.security.cert.X509Certificate;

/** A server under test, however it was started: its addresses, its REST API and what it costs. */
public interface ServerHandle extends AutoCloseable {

    /** What runs, for the report: e.g. "lwm2m-fleet child JVM pid 1234 (java 17.0.15, -Xmx4g)". */
    String description();

    URI coapUri();

    URI coapsUri();

    /** The REST API with a token; null for a bare Leshan server, which has none. */
    FleetApi api();

    /** The server's certificate (its public key is its RPK), for devices that pin it; null when unknown. */
    X509Certificate certificate();

    /** CPU seconds the server process has used so far; NaN when unknown (a remote server). */
    double cpuSeconds();

    /** Heap in use right after a full GC, in bytes; -1 when it cannot be measured. */
    long heapAfterGc();

    /**
     * Stops the server gracefully (SIGTERM for a process) and starts it again on the same ports and data: what it
     * saves at stop (registrations, DTLS sessions) is what the devices find again.
     */
    void restart() throws Exception;

    /**
     * Kills the server (SIGKILL: nothing saved at stop) and starts it again on the same ports and data, as after a
     * crash; only a server in its own process can be killed.
     */
    default void killAndRestart() throws Exception {
        throw new UnsupportedOperationException("this server cannot be killed: " + description());
    }

    /** Whether {@link #cpuSeconds} and {@link #heapAfterGc} measure the server alone (not shared with the bench). */
    default boolean measuredAlone() {
        return true;
    }

    @Override
    void close();
}
