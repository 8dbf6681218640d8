package org.lwm2mfleet.server.device;

import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

import org.lwm2mfleet.server.error.FleetException;

/**
 * How a device proves who it is. A device registers only under the endpoint name its credentials belong to.
 */
public sealed interface Credentials permits Credentials.NoSec, Credentials.Psk, Credentials.Rpk, Credentials.X509 {

    /** The name used in the API and the database: none, psk, rpk, x509. */
    String kind();

    /** Plain CoAP, no DTLS: for a device on a trusted network. */
    record NoSec() implements Credentials {
        @Override
        public String kind() {
            return "none";
        }
    }

    /** DTLS with a pre-shared key. The key never leaves the server once provisioned. */
    record Psk(String identity, byte[] key) implements Credentials {
        public Psk {
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public String kind() {
            return "psk";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Psk other && identity.equals(other.identity) && Arrays.equals(key, other.key);
        }

        @Override
        public int hashCode() {
            return identity.hashCode();
        }

        @Override
        public String toString() {
            return "Psk[identity=" + identity + ", key=<hidden>]";
        }
    }

    /** DTLS with a raw public key (the device holds the private key). */
    record Rpk(PublicKey publicKey) implements Credentials {
        @Override
        public String kind() {
            return "rpk";
        }

        /** SHA-256 of the encoded key, hex: a short way for an operator to compare keys. */
        public String fingerprint() {
            return DeviceCertificate.sha256(publicKey.getEncoded());
        }
    }

    /**
     * DTLS with an X.509 certificate whose subject CN is the endpoint name. Without {@code certificate}, any
     * certificate issued by a CA of {@code --trusted-certificates} with that CN is accepted; with one, that exact
     * certificate only (pinned), and it must chain to those CAs when some are configured.
     *
     * @param certificate the device's pinned certificate, or null
     */
    record X509(DeviceCertificate certificate) implements Credentials {
        /** Any certificate of a trusted CA whose CN is the endpoint. */
        public X509() {
            this(null);
        }

        @Override
        public String kind() {
            return "x509";
        }

        public boolean pinned() {
            return certificate != null;
        }
    }

    /**
     * Builds credentials from their API or CSV form, naming the field that is wrong.
     *
     * @param kind none, psk, rpk or x509
     * @param identity PSK identity (psk only)
     * @param key PSK as hex (psk only)
     * @param publicKey RPK public key as PEM, or Base64 or hex of its DER SubjectPublicKeyInfo (rpk only)
     * @param certificate PEM (or Base64 of DER) of the device's certificate, optionally followed by its intermediate
     *            CAs (x509 only; optional)
     */
    static Credentials parse(String kind, String identity, String key, String publicKey, String certificate) {
        if (kind == null || kind.isBlank()) {
            throw FleetException.invalid("credentials.kind", "is required: one of none, psk, rpk, x509");
        }
        String normalized = kind.strip().toLowerCase(Locale.ROOT);
        if (certificate != null && !certificate.isBlank() && !normalized.equals("x509")) {
            throw FleetException.invalid("credentials.certificate", "is for kind x509 only");
        }
        return switch (normalized) {
        case "none" -> new NoSec();
        case "psk" -> new Psk(pskIdentity(identity), pskKey(key));
        case "rpk" -> new Rpk(publicKey(publicKey));
        case "x509" -> new X509(certificate == null || certificate.isBlank() ? null
                : DeviceCertificate.parse(certificate.strip()));
        default -> throw FleetException.invalid("credentials.kind",
                "unknown kind '" + kind + "': one of none, psk, rpk, x509");
        };
    }

    private static String pskIdentity(String identity) {
        if (identity == null || identity.isBlank()) {
            throw FleetException.invalid("credentials.identity", "is required for psk");
        }
        if (identity.length() > 255) {
            throw FleetException.invalid("credentials.identity", "is longer than 255 characters");
        }
        return identity;
    }

    private static byte[] pskKey(String hex) {
        if (hex == null || hex.isBlank()) {
            throw FleetException.invalid("credentials.key", "is required for psk (hex)");
        }
        byte[] key;
        try {
            key = HexFormat.of().parseHex(hex.strip());
        } catch (IllegalArgumentException e) {
            throw FleetException.invalid("credentials.key", "is not hexadecimal");
        }
        if (key.length < 4 || key.length > 64) {
            throw FleetException.invalid("credentials.key", "must be 4 to 64 bytes, was " + key.length);
        }
        return key;
    }

    private static PublicKey publicKey(String text) {
        if (text == null || text.isBlank()) {
            throw FleetException.invalid("credentials.publicKey", "is required for rpk");
        }
        byte[] der = decodeKeyText(text.strip());
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (InvalidKeySpecException | NoSuchAlgorithmException e) {
            throw FleetException.invalid("credentials.publicKey", "is not an EC public key (SubjectPublicKeyInfo)");
        }
    }

    private static byte[] decodeKeyText(String text) {
        String body = text.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            if (body.matches("[0-9a-fA-F]+") && body.length() % 2 == 0) {
                return HexFormat.of().parseHex(body);
            }
            return Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw FleetException.invalid("credentials.publicKey", "is neither PEM, Base64 nor hex");
        }
    }

    /** The same key from its stored DER form. */
    static PublicKey publicKeyFromDer(byte[] der) {
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (InvalidKeySpecException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("stored RPK is not an EC key", e);
        }
    }
}
