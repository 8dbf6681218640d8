package org.lwm2mfleet.server.api;

import org.eclipse.jetty.server.Request;
import org.lwm2mfleet.server.error.FleetException;

/**
 * The access check in front of every route that is not open, implemented by the access room. {@link ApiHandler}
 * asks it who is calling and whether they may, before it looks for the target (so an answer never tells a stranger
 * whether something exists), and hands it every state-changing call of a known caller to record, refusals included.
 */
public interface Gate {

    /**
     * The caller of {@code request}.
     *
     * @throws FleetException 401 when nobody known calls
     */
    Caller identify(Request request);

    /**
     * Nothing when {@code caller} may make this request to {@code route}.
     *
     * @param route the matched route, or null for an unknown path or a wrong method
     * @throws FleetException 403 (or another refusal) otherwise
     */
    void authorize(Request request, Caller caller, Router.Route route);

    /** Records a call that tried to change something, with its outcome (status code or failure). */
    void record(Caller caller, String action, String target, String outcome, String address);
}
