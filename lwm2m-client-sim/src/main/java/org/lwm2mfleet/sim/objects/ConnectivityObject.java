package org.lwm2mfleet.sim.objects;

import java.util.List;

/** Connectivity Monitoring (4): an NB-IoT-like bearer with a signal that wanders a little. */
public final class ConnectivityObject extends SimulatedInstance {

    private final Noise noise;
    private final double baseRssi;

    public ConnectivityObject(long seed) {
        super(0);
        this.noise = new Noise(seed);
        this.baseRssi = -70 - new Noise(seed ^ 0x5eed).uniform(0, 30);
        readable(0, () -> 7L); // network bearer: LTE-FDD / NB-IoT
        readable(2, () -> Math.round(baseRssi + noise.gaussian(2)));
        readable(3, () -> Math.max(0, Math.min(100, Math.round(60 + noise.gaussian(8)))));
        readable(8, () -> 100_000L + (long) (Math.abs(baseRssi) * 7)); // cell id
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(2, 3);
    }
}
