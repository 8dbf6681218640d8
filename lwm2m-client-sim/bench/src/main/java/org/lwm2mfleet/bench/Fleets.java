package org.lwm2mfleet.bench;

import java.time.Duration;

import org.lwm2mfleet.sim.fleet.SecurityMode;

/** Helpers shared by the scenarios that need a registered fleet first. */
final class Fleets {

    private Fleets() {
    }

    /** Provisions devices first..first+count-1, starts them and waits until all are registered. */
    static BenchFleet registered(Scenario.Context context, ServerHandle server, BenchSettings s, int first,
            int count) throws Exception {
        return registered(context, server, s, first, count, false);
    }

    static BenchFleet registered(Scenario.Context context, ServerHandle server, BenchSettings s, int first,
            int count, boolean reconnectOnUpdate) throws Exception {
        if (server.api() != null) {
            context.progress("provisioning %,d %s devices", count, s.security());
            Provisioning.provision(server.api(), s.security(), s.fleetSecret(), first, count);
        }
        context.progress("building %,d devices", count);
        BenchFleet fleet = BenchFleet.create(s, s.security() == SecurityMode.NONE ? server.coapUri()
                : server.coapsUri(), server.certificate(), first, count, 0, Duration.ofHours(1), reconnectOnUpdate);
        context.progress("starting %,d devices", count);
        fleet.startAll(s.startThreads());
        if (!fleet.awaitRegistered(count, s.timeout())) {
            fleet.close();
            throw new IllegalStateException(String.format("only %,d of %,d devices registered within %s",
                    fleet.registered(), count, s.timeout()));
        }
        context.progress("%,d devices registered", count);
        return fleet;
    }
}
