package org.lwm2mfleet.sim.fleet;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Objects;

import org.eclipse.leshan.client.object.Security;

/**
 * What a simulated device authenticates with, and how it recognises the server: by its raw public key (RPK), or by
 * its certificate, pinned (X.509 certificate usage 3, "domain-issued certificate": the server's self-signed
 * certificate must be exactly this one; no PKIX path is checked).
 */
public record DeviceSecurity(SecurityMode mode, String pskIdentity, byte[] pskKey, KeyPair keyPair,
        X509Certificate certificate, PublicKey serverPublicKey, X509Certificate serverCertificate) {

    public DeviceSecurity {
        Objects.requireNonNull(mode, "mode");
    }

    public static DeviceSecurity none() {
        return new DeviceSecurity(SecurityMode.NONE, null, null, null, null, null, null);
    }

    public static DeviceSecurity psk(String identity, byte[] key) {
        return new DeviceSecurity(SecurityMode.PSK, Objects.requireNonNull(identity, "PSK identity"),
                Objects.requireNonNull(key, "PSK").clone(), null, null, null, null);
    }

    public static DeviceSecurity rpk(KeyPair keyPair, PublicKey serverPublicKey) {
        return new DeviceSecurity(SecurityMode.RPK, null, null, Objects.requireNonNull(keyPair, "key pair"), null,
                Objects.requireNonNull(serverPublicKey, "RPK needs the server's public key"), null);
    }

    public static DeviceSecurity x509(KeyPair keyPair, X509Certificate certificate, X509Certificate serverCertificate) {
        return new DeviceSecurity(SecurityMode.X509, null, null, Objects.requireNonNull(keyPair, "key pair"),
                Objects.requireNonNull(certificate, "device certificate"),
                null, Objects.requireNonNull(serverCertificate, "X.509 needs the server's certificate"));
    }

    /**
     * The credentials a device of a fleet derives from the fleet secret (see {@link FleetCredentials}); for X.509 the
     * device's key pair is its RPK key pair, certified by the fleet CA.
     */
    public static DeviceSecurity forFleet(SecurityMode mode, String fleetSecret, String endpoint,
            PublicKey serverPublicKey, X509Certificate serverCertificate) {
        if (mode != SecurityMode.NONE) {
            Objects.requireNonNull(fleetSecret, mode + " needs a fleet secret");
        }
        return switch (mode) {
        case NONE -> none();
        case PSK -> psk(FleetCredentials.pskIdentity(endpoint), FleetCredentials.pskKey(fleetSecret, endpoint));
        case RPK -> rpk(FleetCredentials.rpkKeyPair(fleetSecret, endpoint), serverPublicKey);
        case X509 -> x509(FleetCredentials.rpkKeyPair(fleetSecret, endpoint),
                FleetCredentials.deviceCertificate(fleetSecret, endpoint), serverCertificate);
        };
    }

    /** Leshan's Security (0) instance for a device-management server at {@code serverUri}. */
    public Security securityInstance(String serverUri, int shortServerId) {
        return switch (mode) {
        case NONE -> Security.noSec(serverUri, shortServerId);
        case PSK -> Security.psk(serverUri, shortServerId, pskIdentity.getBytes(StandardCharsets.UTF_8), pskKey);
        case RPK -> Security.rpk(serverUri, shortServerId, keyPair.getPublic().getEncoded(),
                keyPair.getPrivate().getEncoded(), serverPublicKey.getEncoded());
        case X509 -> {
            try {
                // Leshan's Security.x509 defaults to certificate usage 3: the server certificate is pinned.
                yield Security.x509(serverUri, shortServerId, certificate.getEncoded(),
                        keyPair.getPrivate().getEncoded(), serverCertificate.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("unusable certificate", e);
            }
        }
        };
    }

    /** Never shows keys: records print every component otherwise. */
    @Override
    public String toString() {
        return "DeviceSecurity[" + mode + (pskIdentity == null ? "" : ", identity=" + pskIdentity) + "]";
    }
}
