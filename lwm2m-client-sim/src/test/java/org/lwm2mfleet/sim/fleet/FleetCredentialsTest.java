package org.lwm2mfleet.sim.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.security.cert.X509Certificate;

import org.junit.jupiter.api.Test;

class FleetCredentialsTest {

    @Test
    void sameSecretAndEndpointGiveTheSameCredentials() {
        assertThat(FleetCredentials.pskKey("s", "dev-1")).isEqualTo(FleetCredentials.pskKey("s", "dev-1"))
                .hasSize(16);
        assertThat(FleetCredentials.rpkKeyPair("s", "dev-1").getPublic())
                .isEqualTo(FleetCredentials.rpkKeyPair("s", "dev-1").getPublic());
    }

    @Test
    void differentEndpointsOrSecretsGiveDifferentCredentials() {
        assertThat(FleetCredentials.pskKey("s", "dev-1")).isNotEqualTo(FleetCredentials.pskKey("s", "dev-2"));
        assertThat(FleetCredentials.pskKey("s", "dev-1")).isNotEqualTo(FleetCredentials.pskKey("t", "dev-1"));
        assertThat(FleetCredentials.rpkKeyPair("s", "dev-1").getPublic())
                .isNotEqualTo(FleetCredentials.rpkKeyPair("s", "dev-2").getPublic());
    }

    @Test
    void deviceCertificateHasTheEndpointAsCnAndVerifiesAgainstTheFleetCa() {
        X509Certificate certificate = FleetCredentials.deviceCertificate("s", "dev-1");
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=dev-1");
        assertThat(certificate.getPublicKey()).isEqualTo(FleetCredentials.rpkKeyPair("s", "dev-1").getPublic());
        // Any CA certificate from the same secret: same subject, same key.
        X509Certificate ca = FleetCredentials.caCertificate("s");
        assertThatCode(() -> certificate.verify(ca.getPublicKey())).doesNotThrowAnyException();
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void pskIsTheFirstHalfOfTheHmacOfTheEndpoint() throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("s".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "HmacSHA256"));
        byte[] expected = java.util.Arrays.copyOf(mac.doFinal("psk:dev-1".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), 16);
        assertThat(FleetCredentials.pskKey("s", "dev-1")).isEqualTo(expected);
        assertThat(FleetCredentials.pskIdentity("dev-1")).isEqualTo("dev-1");
    }

    @Test
    void caCertificateIsACaAndDeviceCertificateIsForClients() throws Exception {
        X509Certificate ca = FleetCredentials.caCertificate("s");
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=LwM2M Fleet Sim CA");
        assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(ca.getPublicKey()).isEqualTo(FleetCredentials.caKeyPair("s").getPublic());
        assertThatCode(() -> ca.verify(ca.getPublicKey())).doesNotThrowAnyException();
        X509Certificate device = FleetCredentials.deviceCertificate("s", "dev-1");
        assertThat(device.getBasicConstraints()).isEqualTo(-1);
        assertThat(device.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(device.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2");
        assertThat(FleetCredentials.toPem(device)).startsWith("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void derivedPrivateKeySignsForItsPublicKey() throws Exception {
        var pair = FleetCredentials.rpkKeyPair("s", "dev-9");
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(pair.getPrivate());
        signer.update(new byte[] { 1, 2, 3 });
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(pair.getPublic());
        verifier.update(new byte[] { 1, 2, 3 });
        assertThat(verifier.verify(signature)).isTrue();
    }
}
