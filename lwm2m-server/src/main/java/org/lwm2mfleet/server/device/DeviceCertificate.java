package org.lwm2mfleet.server.device;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.leshan.core.security.certificate.util.X509CertUtil;
import org.lwm2mfleet.server.error.FleetException;

/**
 * The X.509 certificate of one device, uploaded at provisioning and pinned: the device is then accepted with this
 * exact certificate only. Parsed once; equal when the DER encoding is.
 *
 * @param x509 the device's certificate
 * @param issuers the certificates uploaded after the device's own (intermediate CAs), used once to check the chain
 *            at provisioning and never stored
 */
public record DeviceCertificate(X509Certificate x509, List<X509Certificate> issuers) {

    /** A certificate is a few hundred bytes to a few KiB; anything much larger is not one. */
    public static final int MAX_DER_BYTES = 16 * 1024;
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END CERTIFICATE-----");

    public DeviceCertificate {
        java.util.Objects.requireNonNull(x509, "x509");
        issuers = issuers == null ? List.of() : List.copyOf(issuers);
    }

    /** A stored certificate (its DER from the database). */
    public static DeviceCertificate fromDer(byte[] der) {
        return new DeviceCertificate(x509(der), List.of());
    }

    /** The DER encoding, as stored. */
    public byte[] der() {
        try {
            return x509.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate has no encoding", e);
        }
    }

    /**
     * The device's certificate from its API or CSV form: PEM (the device's certificate first, then any intermediate
     * CAs), or the Base64 of one DER certificate. Errors name {@code credentials.certificate}.
     */
    public static DeviceCertificate parse(String text) {
        String field = "credentials.certificate";
        if (text.length() > 4 * MAX_DER_BYTES) {
            throw FleetException.invalid(field, "is too long for a certificate");
        }
        List<byte[]> blocks = new ArrayList<>();
        Matcher pem = PEM.matcher(text);
        while (pem.find()) {
            blocks.add(base64(pem.group(1), field));
        }
        if (blocks.isEmpty()) {
            if (text.contains("-----BEGIN")) {
                throw FleetException.invalid(field, "is PEM but holds no CERTIFICATE block");
            }
            blocks.add(base64(text, field));
        }
        List<X509Certificate> certificates = new ArrayList<>();
        for (byte[] block : blocks) {
            if (block.length > MAX_DER_BYTES) {
                throw FleetException.invalid(field, "is larger than " + MAX_DER_BYTES + " bytes");
            }
            try {
                certificates.add(x509(block));
            } catch (IllegalArgumentException e) {
                throw FleetException.invalid(field, "is not an X.509 certificate (PEM, or Base64 of DER)");
            }
        }
        return new DeviceCertificate(certificates.get(0), certificates.subList(1, certificates.size()));
    }

    private static byte[] base64(String text, String field) {
        try {
            return Base64.getMimeDecoder().decode(text.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw FleetException.invalid(field, "is not an X.509 certificate (PEM, or Base64 of DER)");
        }
    }

    private static X509Certificate x509(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("not an X.509 certificate", e);
        }
    }

    public String subject() {
        return x509.getSubjectX500Principal().getName();
    }

    public String issuer() {
        return x509.getIssuerX500Principal().getName();
    }

    public Instant notBefore() {
        return x509.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return x509.getNotAfter().toInstant();
    }

    /** The subject's common name, or null when it has none. */
    public String commonName() {
        return commonName(x509);
    }

    /**
     * The subject CN of any certificate, or null when it has none: read as Leshan reads it when it binds the
     * certificate to the endpoint name, so that pinning and authorisation agree on whose certificate it is.
     */
    public static String commonName(X509Certificate certificate) {
        try {
            return X509CertUtil.extractCN(certificate.getSubjectX500Principal().getName());
        } catch (IllegalStateException e) {
            return null;
        }
    }

    /** SHA-256 of the DER, hex: how an operator compares certificates. */
    public String sha256() {
        return sha256(der());
    }

    public static String sha256(byte[] der) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True if {@code certificate} is exactly this one (X509Certificate compares the encodings). */
    public boolean matches(X509Certificate certificate) {
        return x509.equals(certificate);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceCertificate other && x509.equals(other.x509);
    }

    @Override
    public int hashCode() {
        return x509.hashCode();
    }

    @Override
    public String toString() {
        return "DeviceCertificate[subject=" + subject() + ", sha256=" + sha256() + "]";
    }
}
