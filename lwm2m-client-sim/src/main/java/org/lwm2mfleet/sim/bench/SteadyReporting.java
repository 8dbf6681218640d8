package org.lwm2mfleet.sim.bench;

final class SteadyReporting implements Scenario.Body {
    private final boolean findKnee;

    SteadyReporting(boolean findKnee) {
        this.findKnee = findKnee;
    }

    @Override
    public BenchResult run(Scenario scenario, Scenario.Context context) {
        throw new UnsupportedOperationException("not yet");
    }
}
