package org.lwm2mfleet.sim.fleet;

import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;

/**
 * What a simulated device authenticates with, and how it recognises the server (its RPK, or its certificate, pinned).
 */
public record DeviceSecurity(SecurityMode mode, String pskIdentity, byte[] pskKey, KeyPair keyPair,
        X509Certificate certificate, PublicKey serverPublicKey, X509Certificate serverCertificate) {

    public static DeviceSecurity none() {
        return new DeviceSecurity(SecurityMode.NONE, null, null, null, null, null, null);
    }

    public static DeviceSecurity psk(String identity, byte[] key) {
        return new DeviceSecurity(SecurityMode.PSK, identity, key.clone(), null, null, null, null);
    }

    public static DeviceSecurity rpk(KeyPair keyPair, PublicKey serverPublicKey) {
        return new DeviceSecurity(SecurityMode.RPK, null, null, keyPair, null, serverPublicKey, null);
    }

    public static DeviceSecurity x509(KeyPair keyPair, X509Certificate certificate, X509Certificate serverCertificate) {
        return new DeviceSecurity(SecurityMode.X509, null, null, keyPair, certificate, null, serverCertificate);
    }

    /** The credentials a device of a fleet derives from the fleet secret (see {@link FleetCredentials}). */
    public static DeviceSecurity forFleet(SecurityMode mode, String fleetSecret, String endpoint,
            PublicKey serverPublicKey, X509Certificate serverCertificate) {
        return switch (mode) {
        case NONE -> none();
        case PSK -> psk(FleetCredentials.pskIdentity(endpoint), FleetCredentials.pskKey(fleetSecret, endpoint));
        case RPK -> rpk(FleetCredentials.rpkKeyPair(fleetSecret, endpoint), serverPublicKey);
        case X509 -> x509(FleetCredentials.rpkKeyPair(fleetSecret, endpoint),
                FleetCredentials.deviceCertificate(fleetSecret, endpoint), serverCertificate);
        };
    }

    @Override
    public String toString() {
        return "DeviceSecurity[" + mode + (pskIdentity == null ? "" : ", identity=" + pskIdentity) + "]";
    }
}
