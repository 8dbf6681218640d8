package org.lwm2mfleet.sim.objects;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Connectivity Monitoring (4): an NB-IoT modem (LTE-FDD as fallback) whose signal wanders slowly, as it does when
 * the weather, the traffic and the neighbours change, with a little fast fading on top. Link quality follows the
 * signal. The IP address is a carrier-grade NAT address derived from the seed, as a modem would get from its APN.
 */
public final class ConnectivityObject extends SimulatedInstance {

    static final long NB_IOT = 7, LTE_FDD = 6;
    /** The slow wander repeats over about five and a half hours, not in step with the day. */
    private static final double WANDER_PERIOD_MILLIS = 5.5 * 3_600_000;

    private final Clock clock;
    private final Noise noise;
    private final double baseRssi;
    private final double phase;

    public ConnectivityObject(Clock clock, long seed) {
        super(0);
        this.clock = clock;
        this.noise = new Noise(seed);
        Noise setup = new Noise(seed ^ 0x5eed);
        this.baseRssi = -95 + setup.uniform(0, 25);
        this.phase = setup.uniform(0, 2 * Math.PI);
        long cellId = 100_000 + Math.round(setup.uniform(0, 900_000));
        String ip = "100.64." + Math.round(setup.uniform(0, 255)) + "." + Math.round(setup.uniform(1, 254));
        readable(0, () -> NB_IOT);
        readable(1, () -> Map.of(0, NB_IOT, 1, LTE_FDD));
        readable(2, () -> Math.round(signalStrength()));
        readable(3, () -> linkQuality());
        readable(4, () -> Map.of(0, ip));
        readable(7, () -> Map.of(0, "iot.lwm2mfleet.example"));
        readable(8, () -> cellId);
        readable(9, () -> 1L);
        readable(10, () -> 1L);
    }

    /** Radio Signal Strength in dBm: a slow wander of ±6 dB around the site's level, ±1.5 dB of fading. */
    public double signalStrength() {
        double wander = 6 * Math.sin(2 * Math.PI * clock.millis() / WANDER_PERIOD_MILLIS + phase);
        return Math.max(-125, Math.min(-50, baseRssi + wander + noise.gaussian(1.5)));
    }

    /** Link Quality, 0–100: better with a stronger signal. */
    private long linkQuality() {
        return Math.max(0, Math.min(100, Math.round((signalStrength() + 120) * 1.6)));
    }

    @Override
    protected List<Integer> changingResources() {
        return List.of(2, 3);
    }
}
