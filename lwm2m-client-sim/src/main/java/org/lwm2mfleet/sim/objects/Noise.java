package org.lwm2mfleet.sim.objects;

import java.util.Random;

/** Small, seeded, smooth-enough noise: tests that fix the seed see the same values. */
final class Noise {

    private final Random random;

    Noise(long seed) {
        this.random = new Random(seed);
    }

    synchronized double gaussian(double sigma) {
        return random.nextGaussian() * sigma;
    }

    synchronized boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    synchronized double uniform(double from, double to) {
        return from + random.nextDouble() * (to - from);
    }
}
