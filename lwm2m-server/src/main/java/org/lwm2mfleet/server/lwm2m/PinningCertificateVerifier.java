package org.lwm2mfleet.server.lwm2m;

import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.List;

import javax.security.auth.x500.X500Principal;

import org.eclipse.californium.scandium.dtls.AlertMessage;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertDescription;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertLevel;
import org.eclipse.californium.scandium.dtls.CertificateMessage;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.CertificateVerificationResult;
import org.eclipse.californium.scandium.dtls.ConnectionId;
import org.eclipse.californium.scandium.dtls.HandshakeException;
import org.eclipse.californium.scandium.dtls.HandshakeResultHandler;
import org.eclipse.californium.scandium.dtls.x509.CertificateVerifier;
import org.eclipse.californium.scandium.dtls.x509.StaticCertificateVerifier;
import org.eclipse.californium.scandium.util.ServerNames;
import org.lwm2mfleet.server.device.DeviceCertificate;

/**
 * Scandium's certificate check during the DTLS handshake, with pinning on top. Raw public keys and certificates of
 * endpoints without a pinned certificate go to Scandium's own verifier, set up as Leshan would (every RPK, since
 * Leshan's authorizer matches it to the endpoint afterwards; certificates chaining to {@code --trusted-certificates}).
 * A certificate whose subject CN is an endpoint with a pinned certificate must be that exact certificate (same DER):
 * another one, even from the same CA with the same CN, ends the handshake with {@code bad_certificate}. When no CA is
 * configured, the pinned certificate is its own trust (checked for its validity dates), as a raw public key is.
 * Every refusal is logged, counted and published through {@link DtlsFailureListener}.
 */
final class PinningCertificateVerifier implements CertificateVerifier {

    private final FleetSecurityStore store;
    private final CertificateVerifier trusted;
    private final boolean trustsCas;
    private final DtlsFailureListener failures;
    private final Clock clock;

    PinningCertificateVerifier(FleetSecurityStore store, List<X509Certificate> trustedCertificates,
            DtlsFailureListener failures, Clock clock) {
        this.store = store;
        StaticCertificateVerifier.Builder builder = StaticCertificateVerifier.builder().setTrustAllRPKs();
        // No CA at all must mean no X.509 trust, not "trust every certificate" (an empty array would).
        if (!trustedCertificates.isEmpty()) {
            builder.setTrustedCertificates(trustedCertificates.toArray(new X509Certificate[0]));
        }
        this.trusted = builder.build();
        this.trustsCas = !trustedCertificates.isEmpty();
        this.failures = failures;
        this.clock = clock;
    }

    @Override
    public List<CertificateType> getSupportedCertificateTypes() {
        // X.509 even without CAs: a device with a pinned certificate can then still authenticate.
        return List.of(CertificateType.X_509, CertificateType.RAW_PUBLIC_KEY);
    }

    @Override
    public List<X500Principal> getAcceptedIssuers() {
        return trusted.getAcceptedIssuers();
    }

    @Override
    public void setResultHandler(HandshakeResultHandler resultHandler) {
        trusted.setResultHandler(resultHandler);
    }

    @Override
    public CertificateVerificationResult verifyCertificate(ConnectionId cid, ServerNames serverName,
            InetSocketAddress remotePeer, boolean clientUsage, boolean verifySubject, boolean truncateCertificatePath,
            CertificateMessage message) {
        CertPath chain = message.getCertificateChain();
        if (chain == null || chain.getCertificates().isEmpty()) {
            return trusted.verifyCertificate(cid, serverName, remotePeer, clientUsage, verifySubject,
                    truncateCertificatePath, message);
        }
        X509Certificate presented = (X509Certificate) chain.getCertificates().get(0);
        String endpoint = DeviceCertificate.commonName(presented);
        DeviceCertificate pinned = endpoint == null ? null : store.pinnedCertificate(endpoint);
        if (pinned != null && !pinned.matches(presented)) {
            String fingerprint = fingerprint(presented);
            return refuse(cid, remotePeer, endpoint, "certificate_not_pinned", "certificate sha256=" + fingerprint
                    + " is not the one pinned for this endpoint (sha256=" + pinned.sha256() + ")");
        }
        if (pinned == null && !trustsCas) {
            return refuse(cid, remotePeer, endpoint, "certificate_untrusted",
                    "no certificate pinned for this endpoint and no --trusted-certificates");
        }
        if (pinned != null && !trustsCas) {
            try {
                presented.checkValidity(Date.from(clock.instant()));
                CertPath leafOnly = CertificateFactory.getInstance("X.509").generateCertPath(List.of(presented));
                return new CertificateVerificationResult(cid, leafOnly, null);
            } catch (GeneralSecurityException e) {
                return refuse(cid, remotePeer, endpoint, "certificate_invalid",
                        "pinned certificate is outside its validity dates (" + e.getMessage() + ")");
            }
        }
        CertificateVerificationResult result = trusted.verifyCertificate(cid, serverName, remotePeer, clientUsage,
                verifySubject, truncateCertificatePath, message);
        if (result != null && result.getException() != null) {
            HandshakeException refusal = result.getException();
            failures.refused(remotePeer, endpoint, "certificate_untrusted",
                    "certificate not accepted: " + refusal.getMessage());
            // Same alert, marked as reported so that the failure listener does not count it a second time.
            return new CertificateVerificationResult(cid,
                    new DtlsFailureListener.ReportedRefusal(refusal.getMessage(), refusal.getAlert(), refusal));
        }
        return result;
    }

    private CertificateVerificationResult refuse(ConnectionId cid, InetSocketAddress peer, String endpoint,
            String reason, String detail) {
        failures.refused(peer, endpoint, reason, detail);
        return new CertificateVerificationResult(cid,
                new DtlsFailureListener.ReportedRefusal(detail,
                        new AlertMessage(AlertLevel.FATAL, AlertDescription.BAD_CERTIFICATE), null));
    }

    private static String fingerprint(X509Certificate certificate) {
        try {
            return DeviceCertificate.sha256(certificate.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            return "?";
        }
    }
}
