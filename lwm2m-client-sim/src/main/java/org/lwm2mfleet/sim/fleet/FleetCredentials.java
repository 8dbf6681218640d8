package org.lwm2mfleet.sim.fleet;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Credentials derived reproducibly from a fleet secret, so that the simulator and the server's bulk provisioning
 * agree without exchanging keys: the PSK and the EC key pair of an endpoint are functions of (secret, endpoint).
 * Test and demo material only: a real fleet gets random keys.
 */
public final class FleetCredentials {

    public static final String CA_SUBJECT = "CN=LwM2M Fleet Sim CA";
    private static final Instant NOT_BEFORE = Instant.parse("2024-01-01T00:00:00Z");

    private FleetCredentials() {
    }

    public static String pskIdentity(String endpoint) {
        return endpoint;
    }

    /** 16 bytes: the first half of HMAC-SHA256(secret, "psk:" + endpoint). */
    public static byte[] pskKey(String fleetSecret, String endpoint) {
        return Arrays.copyOf(hmac(fleetSecret, "psk:" + endpoint), 16);
    }

    /** A P-256 key pair whose private scalar is derived from HMAC-SHA256(secret, "rpk:" + endpoint). */
    public static KeyPair rpkKeyPair(String fleetSecret, String endpoint) {
        return derivedKeyPair(hmac(fleetSecret, "rpk:" + endpoint));
    }

    public static KeyPair caKeyPair(String fleetSecret) {
        return derivedKeyPair(hmac(fleetSecret, "ca"));
    }

    /** The fleet's self-signed CA certificate; any two calls with one secret share subject and key. */
    public static X509Certificate caCertificate(String fleetSecret) {
        KeyPair ca = caKeyPair(fleetSecret);
        X500Name subject = new X500Name(CA_SUBJECT);
        try {
            return sign(new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, Date.from(NOT_BEFORE),
                    Date.from(NOT_BEFORE.plus(20 * 365, ChronoUnit.DAYS)), subject, ca.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)),
                    ca.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A device certificate with subject CN = endpoint, for the RPK key pair of the endpoint, issued by the CA:
     * not a CA, key usage digital signature (and key agreement), extended key usage client and server authentication.
     */
    public static X509Certificate deviceCertificate(String fleetSecret, String endpoint) {
        KeyPair device = rpkKeyPair(fleetSecret, endpoint);
        BigInteger serial = new BigInteger(1, Arrays.copyOf(hmac(fleetSecret, "serial:" + endpoint), 8));
        try {
            return sign(new JcaX509v3CertificateBuilder(new X500Name(CA_SUBJECT), serial, Date.from(NOT_BEFORE),
                    Date.from(NOT_BEFORE.plus(20 * 365, ChronoUnit.DAYS)), new X500Name("CN=" + endpoint),
                    device.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    // serverAuth too: a Leshan server with DTLS role BOTH may open the handshake towards the
                    // device (after it lost the session), and then the device's certificate authenticates a server.
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] { KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth })),
                    caKeyPair(fleetSecret).getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String toPem(Object certificateOrKey) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificateOrKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder builder, PrivateKey issuerKey) {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign certificate", e);
        }
    }

    private static KeyPair derivedKeyPair(byte[] seed) {
        X9ECParameters curve = ECNamedCurveTable.getByName("secp256r1");
        BigInteger n = curve.getN();
        BigInteger d = new BigInteger(1, seed).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
        ECPoint q = curve.getG().multiply(d).normalize();
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
            KeyFactory factory = KeyFactory.getInstance("EC");
            PublicKey publicKey = factory.generatePublic(new ECPublicKeySpec(new java.security.spec.ECPoint(
                    q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), spec));
            PrivateKey privateKey = factory.generatePrivate(new ECPrivateKeySpec(d, spec));
            return new KeyPair(publicKey, privateKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build EC key", e);
        }
    }

    private static byte[] hmac(String secret, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
