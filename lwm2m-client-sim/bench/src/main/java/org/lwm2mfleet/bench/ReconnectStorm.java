package org.lwm2mfleet.bench;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;

/**
 * The fleet registers, the server restarts on the same ports and data, then every device wakes at once and updates
 * its registration. Two restarts ({@code --restart}):
 * <ul>
 * <li>{@code graceful} (SIGTERM): the server saves its registrations and its DTLS sessions at stop and loads them at
 * start; the devices send their Update on their existing sessions, with no handshake and no new registration.</li>
 * <li>{@code kill} (SIGKILL, a crash): the registrations are kept (written through), the DTLS sessions are lost; each
 * device handshakes again before its Update (as devices do when their session is refused or after deep sleep; one
 * that kept sending on its lost session would wait for its CoAP retransmissions to time out, about 93 s).</li>
 * </ul>
 * Figures: time from the restart until every device is served again (its Update accepted, or a new registration if
 * one had to be made), full DTLS handshakes and new registrations the server counted after its restart (its
 * {@code /metrics}, which start from zero in the new process).
 */
final class ReconnectStorm implements Scenario.Body {

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        BenchSettings s = context.settings();
        boolean graceful = s.gracefulRestart();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        result.parameter("devices", s.devices()).parameter("security", s.security().name().toLowerCase())
                .parameter("timeout", s.timeout()).parameter("restart", graceful ? "graceful" : "kill");
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(ServerKind.FLEET,
                s.security(), s.fleetSecret()));
                BenchFleet fleet = Fleets.registered(context, server, s, 1, s.devices(), !graceful)) {
            result.server("process", server.description());
            context.progress(graceful ? "stopping the server (SIGTERM) and starting it again"
                    : "killing the server (SIGKILL) and starting it again");
            long restartAt = System.nanoTime();
            if (graceful) {
                server.restart();
            } else {
                server.killAndRestart();
            }
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
            if (server.api() != null) {
                String metrics = server.api().metrics();
                double full = labelled(metrics, "lwm2m_dtls_handshakes_total", "kind=\"full\"");
                double resumptions = labelled(metrics, "lwm2m_dtls_handshakes_total", "kind=\"resumption\"");
                // Saved sessions: a graceful restart costs the devices no handshake; after a kill, each makes one.
                result.add(graceful ? Figure.atMost("full handshakes after restart", full, "", 0)
                        : Figure.of("full handshakes after restart", full, ""));
                result.add(Figure.of("resumption handshakes after restart", resumptions, ""));
                result.add(Figure.atMost("registrations counted by the server after restart",
                        labelled(metrics, "lwm2m_registrations_total", "event=\"registered\""), "", 0));
            }
        }
        return result;
    }

    /** The sum of a metric's samples whose labels contain {@code label}; 0 when there is none (nothing counted). */
    static double labelled(String prometheusText, String name, String label) {
        double sum = 0;
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                String[] parts = line.trim().split("\\s+");
                try {
                    sum += Double.parseDouble(parts[parts.length - 1]);
                } catch (NumberFormatException e) {
                    // an odd sample: skip
                }
            }
        }
        return sum;
    }

    private static void trigger(SimulatedDevice device) {
        try {
            device.client().triggerRegistrationUpdate();
        } catch (RuntimeException e) {
            // a device that is re-registering anyway
        }
    }
}
