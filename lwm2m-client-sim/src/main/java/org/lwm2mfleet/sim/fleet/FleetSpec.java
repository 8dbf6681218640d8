package org.lwm2mfleet.sim.fleet;

import java.net.URI;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.lwm2mfleet.sim.profiles.Profile;

/**
 * A fleet to simulate. Device {@code n} (numbered from 1) is named {@code String.format(endpointPattern, n)} and has
 * profile {@code profiles[(n - 1) % profiles.size()]}.
 *
 * @param serverUri coap://host:port or coaps://host:port
 * @param endpointPattern {@link String#format} pattern for endpoint names, given numbers from 1, e.g. "sim-%05d"
 * @param count how many devices
 * @param profiles the profiles, assigned round-robin
 * @param securityMode how every device authenticates; credentials come from {@code fleetSecret}
 * @param fleetSecret the secret the credentials derive from (see {@link FleetCredentials}); null for NONE
 * @param serverPublicKey the server's RPK (RPK mode)
 * @param serverCertificate the server's certificate, pinned by the devices (X.509 mode)
 * @param lifetime registration lifetime
 * @param stagger start times are spread evenly over this duration
 * @param seed base seed of the value models
 * @param wakeInterval null for always-on devices; else queue mode, waking every wakeInterval
 * @param sendInterval null for no Send reports; else every device sends its main values this often (LwM2M 1.1)
 * @param failures null, or which devices fail their firmware updates and how
 * @param tickInterval how often observers are told that time-varying values moved
 * @param connectionId whether the devices use DTLS Connection ID (RFC 9146)
 * @param natRebindInterval null: devices talk to the server directly; else each is behind a NAT of its own whose
 *        source port changes this often (see {@link SimulatedDevice#rebindSourcePort()})
 */
public record FleetSpec(URI serverUri, String endpointPattern, int count, List<Profile> profiles,
        SecurityMode securityMode, String fleetSecret, PublicKey serverPublicKey, X509Certificate serverCertificate,
        Duration lifetime, Duration stagger, long seed, Duration wakeInterval, Duration sendInterval,
        FailureInjection failures, Duration tickInterval, boolean connectionId, Duration natRebindInterval) {

    public static final String DEFAULT_PATTERN = "sim-%05d";
    public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);
    public static final Duration DEFAULT_STAGGER = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TICK = Duration.ofSeconds(15);

    public FleetSpec {
        Objects.requireNonNull(serverUri, "serverUri");
        Objects.requireNonNull(endpointPattern, "endpointPattern");
        Objects.requireNonNull(securityMode, "securityMode");
        Objects.requireNonNull(lifetime, "lifetime");
        Objects.requireNonNull(stagger, "stagger");
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative");
        }
        if (profiles == null || profiles.isEmpty()) {
            throw new IllegalArgumentException("at least one profile is needed");
        }
        if (securityMode != SecurityMode.NONE && fleetSecret == null) {
            throw new IllegalArgumentException(securityMode + " needs a fleet secret");
        }
        if (stagger.isNegative()) {
            throw new IllegalArgumentException("stagger must not be negative");
        }
        if (natRebindInterval != null && (natRebindInterval.isZero() || natRebindInterval.isNegative())) {
            throw new IllegalArgumentException("natRebindInterval must be positive");
        }
        tickInterval = tickInterval == null ? DEFAULT_TICK : tickInterval;
        if (tickInterval.isZero() || tickInterval.isNegative()) {
            throw new IllegalArgumentException("tickInterval must be positive");
        }
        profiles = List.copyOf(profiles);
    }

    /** Devices without Connection ID, talking to the server directly. */
    public FleetSpec(URI serverUri, String endpointPattern, int count, List<Profile> profiles,
            SecurityMode securityMode, String fleetSecret, PublicKey serverPublicKey, X509Certificate serverCertificate,
            Duration lifetime, Duration stagger, long seed, Duration wakeInterval, Duration sendInterval,
            FailureInjection failures, Duration tickInterval) {
        this(serverUri, endpointPattern, count, profiles, securityMode, fleetSecret, serverPublicKey,
                serverCertificate, lifetime, stagger, seed, wakeInterval, sendInterval, failures, tickInterval, false,
                null);
    }

    /** Without a tick interval: observers hear of moved values every {@link #DEFAULT_TICK}. */
    public FleetSpec(URI serverUri, String endpointPattern, int count, List<Profile> profiles,
            SecurityMode securityMode, String fleetSecret, PublicKey serverPublicKey, X509Certificate serverCertificate,
            Duration lifetime, Duration stagger, long seed, Duration wakeInterval, Duration sendInterval,
            FailureInjection failures) {
        this(serverUri, endpointPattern, count, profiles, securityMode, fleetSecret, serverPublicKey,
                serverCertificate, lifetime, stagger, seed, wakeInterval, sendInterval, failures, DEFAULT_TICK);
    }

    /** A spec with the defaults: 10 devices "sim-00001"..., every profile, no security, 5 min lifetime, 10 s stagger. */
    public static Builder builder(URI serverUri) {
        return new Builder(serverUri);
    }

    /** The endpoint name of device {@code number} (from 1). */
    public String endpoint(int number) {
        return String.format(endpointPattern, number);
    }

    /** The profile of device {@code number} (from 1). */
    public Profile profile(int number) {
        return profiles.get((number - 1) % profiles.size());
    }

    public static final class Builder {
        private final URI serverUri;
        private String endpointPattern = DEFAULT_PATTERN;
        private int count = 10;
        private List<Profile> profiles = List.of(Profile.values());
        private SecurityMode securityMode = SecurityMode.NONE;
        private String fleetSecret;
        private PublicKey serverPublicKey;
        private X509Certificate serverCertificate;
        private Duration lifetime = DEFAULT_LIFETIME;
        private Duration stagger = DEFAULT_STAGGER;
        private long seed = 1;
        private Duration wakeInterval;
        private Duration sendInterval;
        private FailureInjection failures;
        private Duration tickInterval = DEFAULT_TICK;
        private boolean connectionId;
        private Duration natRebindInterval;

        private Builder(URI serverUri) {
            this.serverUri = serverUri;
        }

        public Builder endpointPattern(String endpointPattern) {
            this.endpointPattern = endpointPattern;
            return this;
        }

        public Builder count(int count) {
            this.count = count;
            return this;
        }

        public Builder profiles(List<Profile> profiles) {
            this.profiles = profiles;
            return this;
        }

        public Builder profiles(Profile... profiles) {
            return profiles(List.of(profiles));
        }

        /** How the devices authenticate, with the secret their credentials derive from. */
        public Builder security(SecurityMode securityMode, String fleetSecret) {
            this.securityMode = securityMode;
            this.fleetSecret = fleetSecret;
            return this;
        }

        public Builder serverPublicKey(PublicKey serverPublicKey) {
            this.serverPublicKey = serverPublicKey;
            return this;
        }

        public Builder serverCertificate(X509Certificate serverCertificate) {
            this.serverCertificate = serverCertificate;
            return this;
        }

        public Builder lifetime(Duration lifetime) {
            this.lifetime = lifetime;
            return this;
        }

        public Builder stagger(Duration stagger) {
            this.stagger = stagger;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder queueMode(Duration wakeInterval) {
            this.wakeInterval = wakeInterval;
            return this;
        }

        public Builder sendInterval(Duration sendInterval) {
            this.sendInterval = sendInterval;
            return this;
        }

        public Builder failures(FailureInjection failures) {
            this.failures = failures;
            return this;
        }

        public Builder tickInterval(Duration tickInterval) {
            this.tickInterval = tickInterval;
            return this;
        }

        public Builder connectionId(boolean connectionId) {
            this.connectionId = connectionId;
            return this;
        }

        /** null: no NAT; else every device's source port changes this often. */
        public Builder natRebindInterval(Duration natRebindInterval) {
            this.natRebindInterval = natRebindInterval;
            return this;
        }

        public FleetSpec build() {
            return new FleetSpec(serverUri, endpointPattern, count, profiles, securityMode, fleetSecret,
                    serverPublicKey, serverCertificate, lifetime, stagger, seed, wakeInterval, sendInterval, failures,
                    tickInterval, connectionId, natRebindInterval);
        }
    }
}
