package org.lwm2mfleet.sim.bench;

final class ApiUnderLoad implements Scenario.Body {
    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) {
        throw new UnsupportedOperationException("not yet");
    }
}
