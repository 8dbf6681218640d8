package org.lwm2mfleet.bench;

import java.time.Duration;
import java.time.Instant;

import org.lwm2mfleet.bench.ServerLauncher.ServerKind;
import org.lwm2mfleet.sim.fleet.SecurityMode;

/**
 * N devices register (in waves of at most 10,000 live clients: a wave's clients stop without de-registering, so the
 * server keeps their registrations and DTLS sessions), then the server's heap after a full GC is compared with its
 * heap before. Each wave binds to its own 127.0.x.y source addresses, so no two devices share an address and port.
 */
final class MemoryPerDevice implements Scenario.Body {

    private static final int WAVE = 10_000;

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        return run(scenario, context, ServerKind.FLEET);
    }

    BenchResult run(Scenario scenario, Scenario.Context context, ServerKind kind) throws Exception {
        BenchSettings s = context.settings();
        BenchResult result = new BenchResult(scenario.cliName(), Instant.now());
        int wave = Math.min(WAVE, s.devices());
        result.parameter("devices", s.devices()).parameter("security", s.security().name().toLowerCase())
                .parameter("wave", wave).parameter("devicesPerAddress", s.devicesPerAddress())
                .parameter("settle", s.settle());
        try (ServerHandle server = context.launcher().launch(new ServerLauncher.Spec(kind, s.security(),
                s.fleetSecret()))) {
            result.server("kind", kind.name().toLowerCase()).server("process", server.description());
            long empty = server.heapAfterGc();
            if (server.api() != null) {
                context.progress("provisioning %,d %s devices", s.devices(), s.security());
                Provisioning.provision(server.api(), s.security(), s.fleetSecret(), 1, s.devices());
            }
            long provisioned = server.heapAfterGc();
            int addressesPerWave = (wave + s.devicesPerAddress() - 1) / s.devicesPerAddress();
            int registered = 0;
            long start = System.nanoTime();
            for (int first = 1, w = 0; first <= s.devices(); first += wave, w++) {
                int count = Math.min(wave, s.devices() - first + 1);
                BenchFleet fleet = BenchFleet.create(s, s.security() == SecurityMode.NONE ? server.coapUri()
                        : server.coapsUri(), server.certificate(), first, count, w * addressesPerWave,
                        Duration.ofDays(1));
                fleet.startAll(s.startThreads());
                fleet.awaitRegistered(count, s.timeout());
                registered += fleet.registered();
                context.progress("%,d of %,d registered", registered, s.devices());
                fleet.stop(false);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!s.settle().isZero()) {
                // Californium remembers received messages for duplicate detection for EXCHANGE_LIFETIME (247 s):
                // measure what a registered device costs for good, not the traces of its registration.
                context.progress("waiting %s for the registration traffic to be forgotten", s.settle());
                Thread.sleep(s.settle().toMillis());
            }
            long full = server.heapAfterGc();
            double perDevice = (full - provisioned) / (double) Math.max(1, registered);
            result.add(Figure.of("registered", registered, ""));
            result.add(Figure.of("server heap after GC, empty", empty / 1048576.0, "MiB"));
            result.add(Figure.of("server heap after GC, provisioned", provisioned / 1048576.0, "MiB"));
            result.add(Figure.of("server heap after GC, registered", full / 1048576.0, "MiB"));
            result.add(Figure.atMost("heap per registered device", perDevice / 1024, "KiB", 8));
            result.add(Figure.of("heap per device incl. provisioning", (full - empty) / 1024.0
                    / Math.max(1, registered), "KiB"));
            result.add(Figure.of("registrations/s (waves)", registered / seconds, "1/s"));
            if (registered < s.devices()) {
                result.note(String.format("only %,d of %,d devices registered within the timeout", registered,
                        s.devices()));
            }
            if (!server.measuredAlone()) {
                result.note("heap is the whole test process's (server in-process, with the simulator)");
            }
        }
        return result;
    }
}
