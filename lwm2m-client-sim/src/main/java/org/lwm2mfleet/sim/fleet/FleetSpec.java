package org.lwm2mfleet.sim.fleet;

import java.net.URI;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import org.lwm2mfleet.sim.profiles.Profile;

/**
 * A fleet to simulate.
 *
 * @param serverUri coap://host:port or coaps://host:port
 * @param endpointPattern {@link String#format} pattern for endpoint names, given numbers from 1, e.g. "sim-%05d"
 * @param count how many devices
 * @param profiles the profiles, assigned round-robin
 * @param securityMode how every device authenticates; credentials come from {@code fleetSecret}
 * @param fleetSecret the secret the credentials derive from (see {@link FleetCredentials})
 * @param serverPublicKey the server's RPK (RPK mode)
 * @param serverCertificate the server's certificate (X.509 mode)
 * @param lifetime registration lifetime
 * @param stagger start times are spread evenly over this duration
 * @param seed base seed of the value models
 * @param wakeInterval null for always-on devices; else queue mode, waking every wakeInterval
 * @param sendInterval null for no Send reports; else every device sends its main values this often (LwM2M 1.1)
 * @param failures null, or which devices fail their firmware updates and how
 */
public record FleetSpec(URI serverUri, String endpointPattern, int count, List<Profile> profiles,
        SecurityMode securityMode, String fleetSecret, PublicKey serverPublicKey, X509Certificate serverCertificate,
        Duration lifetime, Duration stagger, long seed, Duration wakeInterval, Duration sendInterval,
        FailureInjection failures) {

    public FleetSpec {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative");
        }
        if (profiles == null || profiles.isEmpty()) {
            throw new IllegalArgumentException("at least one profile is needed");
        }
        profiles = List.copyOf(profiles);
    }

    public String endpoint(int number) {
        return String.format(endpointPattern, number);
    }

    public Profile profile(int number) {
        return profiles.get((number - 1) % profiles.size());
    }
}
