package org.lwm2mfleet.sim.fleet;

import java.util.SplittableRandom;
import java.util.Set;

import org.lwm2mfleet.sim.objects.FirmwareFailure;

/**
 * Which devices of a fleet fail their firmware updates, and how: every listed endpoint, and each other device with
 * the given probability (drawn once per device from the fleet's seed, so a run can be repeated).
 */
public record FailureInjection(FirmwareFailure failure, double probability, Set<String> endpoints) {

    public FailureInjection {
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be between 0 and 1");
        }
        endpoints = endpoints == null ? Set.of() : Set.copyOf(endpoints);
    }

    boolean appliesTo(String endpoint, long seed) {
        // SplittableRandom mixes its seed well: the first draws of nearby seeds are not correlated.
        return endpoints.contains(endpoint)
                || new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ endpoint.hashCode()).nextDouble() < probability;
    }
}
