package org.lwm2mfleet.server.lwm2m;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.SignatureAndHashAlgorithm;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuiteParameters;
import org.eclipse.californium.scandium.dtls.cipher.XECDHECryptography.SupportedGroup;

/**
 * The server's own preferences where Scandium would take the device's. Scandium 4.0.0-M6 has no configuration key for
 * either: it walks the device's cipher suites in the device's order and takes the device's first server certificate
 * type.
 * <ul>
 * <li><b>Cipher suite</b>: the first suite of {@link LeshanServerFactory#CIPHER_SUITES} (strongest first) that the
 * device offers, among those using the same kind of credential as the device's first offered suite (PSK, or a
 * certificate / raw public key). The kind stays the device's choice: a device that lists PSK first may also list
 * certificate suites without having a certificate (mbedTLS, for one, lists its certificate suites even when it has
 * only a PSK), and would fail if we picked one.</li>
 * <li><b>Server certificate type</b> (RFC 7250), for a device offering both: our raw public key when the device
 * authenticates with a raw public key itself (its first client certificate type is RPK: a device provisioned with RPK,
 * which holds our public key, not a certificate), else our X.509 certificate. The device's identity is not known yet
 * when this is decided (its certificate comes later in the handshake), so its own certificate type is what tells.</li>
 * <li><b>ECDHE curve</b>: X25519 whenever offered ({@link X25519FirstSelector}).</li>
 * </ul>
 */
final class ServerPreferenceSelector extends X25519FirstSelector {

    private final List<CipherSuite> preference;

    ServerPreferenceSelector(List<CipherSuite> preference) {
        this.preference = List.copyOf(preference);
    }

    @Override
    public boolean select(CipherSuiteParameters parameters) {
        List<CipherSuite> offered = parameters.getCipherSuites();
        if (offered.isEmpty()) {
            return super.select(parameters);
        }
        boolean psk = offered.get(0).isPskBased();
        List<CipherSuite> ordered = new ArrayList<>();
        for (CipherSuite suite : offered) {
            if (suite.isPskBased() == psk) {
                ordered.add(suite);
            }
        }
        ordered.sort(Comparator.comparingInt(this::rank));
        // Then the other kind in the device's order, as Scandium would have tried them.
        for (CipherSuite suite : offered) {
            if (suite.isPskBased() != psk) {
                ordered.add(suite);
            }
        }
        for (CipherSuite suite : ordered) {
            if (select(suite, parameters)) {
                preferServerCertificateType(parameters);
                return true;
            }
        }
        return false;
    }

    private int rank(CipherSuite suite) {
        int index = preference.indexOf(suite);
        return index < 0 ? Integer.MAX_VALUE : index;
    }

    private static void preferServerCertificateType(CipherSuiteParameters parameters) {
        CipherSuite suite = parameters.getSelectedCipherSuite();
        List<CertificateType> types = parameters.getServerCertTypes();
        if (suite == null || !suite.requiresServerCertificateMessage() || types.size() < 2) {
            return;
        }
        if (parameters.getSelectedClientCertificateType() == CertificateType.RAW_PUBLIC_KEY
                && types.contains(CertificateType.RAW_PUBLIC_KEY)) {
            parameters.selectServerCertificateType(CertificateType.RAW_PUBLIC_KEY);
        } else if (parameters.getSelectedClientCertificateType() != CertificateType.RAW_PUBLIC_KEY
                && types.contains(CertificateType.X_509) && parameters.getCertificateChain() != null
                && SignatureAndHashAlgorithm.isSignedWithSupportedAlgorithms(parameters.getSignatures(),
                        parameters.getCertificateChain())
                && SupportedGroup.isSupported(parameters.getSupportedGroups(), parameters.getCertificateChain())) {
            // The same checks Scandium makes before it sends a chain: the device must be able to verify it.
            parameters.selectServerCertificateType(CertificateType.X_509);
        }
    }
}
