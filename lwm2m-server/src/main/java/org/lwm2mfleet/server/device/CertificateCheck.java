package org.lwm2mfleet.server.device;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.lwm2mfleet.server.error.FleetException;

/**
 * What an uploaded device certificate must be before it is pinned: valid now, its subject CN the endpoint name, and
 * issued (through the uploaded intermediates, if any) by a CA of {@code --trusted-certificates} when some are
 * configured. Without trusted CAs the pinned certificate is its own trust, as a raw public key is.
 */
public final class CertificateCheck {

    private static final String FIELD = "credentials.certificate";

    private final List<X509Certificate> trusted;
    private final Clock clock;

    public CertificateCheck(List<X509Certificate> trusted, Clock clock) {
        this.trusted = List.copyOf(trusted);
        this.clock = clock;
    }

    /** Throws a 400 naming {@code credentials.certificate} when the credentials pin an unacceptable certificate. */
    void check(String endpoint, Credentials credentials) {
        if (!(credentials instanceof Credentials.X509 x509) || !x509.pinned()) {
            return;
        }
        DeviceCertificate certificate = x509.certificate();
        X509Certificate leaf = certificate.x509();
        Instant now = clock.instant();
        if (now.isAfter(certificate.notAfter())) {
            throw FleetException.invalid(FIELD, "expired on " + certificate.notAfter());
        }
        if (now.isBefore(certificate.notBefore())) {
            throw FleetException.invalid(FIELD, "is not valid before " + certificate.notBefore());
        }
        String cn = certificate.commonName();
        if (cn == null) {
            throw FleetException.invalid(FIELD, "has no subject CN; it must be the endpoint name '" + endpoint + "'");
        }
        if (!cn.equals(endpoint)) {
            throw FleetException.invalid(FIELD,
                    "subject CN '" + cn + "' is not the endpoint name '" + endpoint + "'");
        }
        if (leaf.getBasicConstraints() >= 0) {
            throw FleetException.invalid(FIELD, "is a CA certificate, not a device's");
        }
        if (!trusted.isEmpty()) {
            checkChain(leaf, certificate.issuers(), now);
        }
    }

    private void checkChain(X509Certificate leaf, List<X509Certificate> intermediates, Instant now) {
        Set<TrustAnchor> anchors = new LinkedHashSet<>();
        for (X509Certificate ca : trusted) {
            anchors.add(new TrustAnchor(ca, null));
        }
        List<X509Certificate> path = new ArrayList<>();
        path.add(leaf);
        // Intermediates in the order uploaded, leaving out a trusted root the uploader appended.
        for (X509Certificate intermediate : intermediates) {
            if (!trusted.contains(intermediate)) {
                path.add(intermediate);
            }
        }
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (CertPathValidatorException e) {
            throw FleetException.invalid(FIELD, "is not issued by a CA of --trusted-certificates (issuer '"
                    + leaf.getIssuerX500Principal().getName() + "'"
                    + (intermediates.isEmpty() ? "; append intermediate CAs to the PEM if there are any" : "")
                    + ": " + e.getMessage() + ")");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot check a certificate chain", e);
        }
    }
}
