package org.lwm2mfleet.bench;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;

/**
 * The fleet registers, the server restarts (same ports and data; the registrations are kept, the DTLS sessions are
 * lost), then every device wakes at once and updates its registration with a new DTLS handshake (as devices behind
 * NATs or waking from deep sleep do); the server accepts the update of the registration it kept, and no device
 * registers again. Figure: time from the restart until every device is served again (its Update accepted, or a new
 * registration if one had to be made). (A device that kept its old session instead would wait for its CoAP
 * retransmissions to time out, about 93 s, before it reconnected.)
 */
final class ReconnectStorm implements Scenario.Body {

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        result.parameter("devices", s.devices()).parameter("security", s.security().name().toLowerCase())
                .parameter("timeout", s.timeout());
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(ServerKind.FLEET,
                s.security(), s.fleetSecret()));
                BenchFleet fleet = Fleets.registered(context, server, s, 1, s.devices(), true)) {
            result.server("process", server.description());
            context.progress("restarting the server");
            long restartAt = System.nanoTime();
            server.restart();
            long upAt = System.nanoTime();
            context.progress("server up again after %.1f s; every device updates its registration", (upAt - restartAt) / 1e9);
            ExecutorService triggers = Executors.newFixedThreadPool(4, BenchFleet.threads("bench-trigger-"));
            try {
                CompletableFuture.allOf(fleet.devices().stream().map(d -> CompletableFuture.runAsync(
                        () -> trigger(d), triggers)).toArray(CompletableFuture[]::new)).join();
            } finally {
                triggers.shutdown();
            }
            long last = fleet.awaitAllServedSince(upAt, s.timeout());
            int served = fleet.servedSince(upAt);
            int again = fleet.registeredSince(upAt);
            double total = ((last > 0 ? last : System.nanoTime()) - restartAt) / 1e9;
            result.add(Figure.of("server restart", (upAt - restartAt) / 1e9, "s"));
            result.add(Figure.of("all served again after restart", last > 0 ? total : Double.NaN, "s"));
            result.add(Figure.of("after the server was up", last > 0 ? (last - upAt) / 1e9 : Double.NaN, "s"));
            result.add(Figure.atMost("not served again", s.devices() - served, "", 0));
            // The registrations were kept (PersistentRegistrationStore): none has to be made again.
            result.add(Figure.atMost("registered again", again, "", 0));
        }
        return result;
    }

    private static void trigger(SimulatedDevice device) {
        try {
            device.client().triggerRegistrationUpdate();
        } catch (RuntimeException e) {
            // a device that is re-registering anyway
        }
    }
}
