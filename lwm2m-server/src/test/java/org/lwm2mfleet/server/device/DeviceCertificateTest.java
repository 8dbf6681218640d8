package org.lwm2mfleet.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.lwm2mfleet.server.TestCertificates;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.sim.fleet.FleetCredentials;

/** The forms an uploaded device certificate may take, and what is read from it. */
class DeviceCertificateTest {

    private static final String SECRET = "device-certificate-test";

    @Test
    void readsPemWithIntermediatesAndBase64Der() throws Exception {
        X509Certificate device = FleetCredentials.deviceCertificate(SECRET, "meter-1");
        X509Certificate ca = FleetCredentials.caCertificate(SECRET);

        DeviceCertificate chain = DeviceCertificate.parse(FleetCredentials.toPem(device) + FleetCredentials.toPem(ca));
        assertThat(chain.matches(device)).isTrue();
        assertThat(chain.issuers()).containsExactly(ca);
        assertThat(chain.commonName()).isEqualTo("meter-1");
        assertThat(chain.issuer()).isEqualTo(FleetCredentials.CA_SUBJECT);

        DeviceCertificate der = DeviceCertificate.parse(Base64.getEncoder().encodeToString(device.getEncoded()));
        assertThat(der).isEqualTo(chain);
        assertThat(der.sha256()).hasSize(64).isEqualTo(DeviceCertificate.sha256(device.getEncoded()));
        // What the database gives back is the same certificate.
        assertThat(DeviceCertificate.fromDer(der.der())).isEqualTo(der);
    }

    @Test
    void refusesWhatIsNotACertificateNamingTheField() {
        for (String text : new String[] { "hello", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
                "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----" }) {
            assertThatThrownBy(() -> DeviceCertificate.parse(text)).isInstanceOf(FleetException.class)
                    .satisfies(e -> assertThat(((FleetException) e).field()).isEqualTo("credentials.certificate"));
        }
    }

    @Test
    void readsTheSubjectCn() {
        KeyPair keys = TestCertificates.newKeyPair();
        X509Certificate certificate = TestCertificates.device("meter-2", keys, "CN=Some CA", keys.getPrivate());
        assertThat(DeviceCertificate.commonName(certificate)).isEqualTo("meter-2");
        assertThat(DeviceCertificate.commonName(FleetCredentials.caCertificate(SECRET))).isEqualTo("LwM2M Fleet Sim CA");
    }
}
