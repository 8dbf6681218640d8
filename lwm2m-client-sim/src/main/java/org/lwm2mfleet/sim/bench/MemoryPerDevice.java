package org.lwm2mfleet.sim.bench;

import org.lwm2mfleet.sim.bench.ServerLauncher.ServerKind;

final class MemoryPerDevice implements Scenario.Body {
    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) throws Exception {
        return run(scenario, context, ServerKind.FLEET);
    }

    BenchResult run(Scenario scenario, Scenario.Context context, ServerKind kind) throws Exception {
        throw new UnsupportedOperationException("not yet");
    }
}
