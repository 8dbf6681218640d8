package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.elements.auth.X509CertPath;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.DTLSSession;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.californium.scandium.dtls.cipher.XECDHECryptography.SupportedGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

/**
 * What the server negotiates with devices whose DTLS stacks differ from Leshan's client, over real DTLS from a raw
 * Scandium client: the server's cipher-suite order, the server certificate type for RPK and X.509 devices offering
 * both, its certificate's names as a name-checking client sees them, and handshakes that end in a refusal, ours or
 * the device's, each logged, counted under its reason and published, with no exception escaping into Scandium.
 */
class DtlsNegotiationTest {

    private static final String SECRET = "dtls-negotiation-test";
    static final String PUBLIC_HOST = "lwm2m.example.test";

    @TempDir
    static Path dir;
    static TestServer server;
    static final List<ILoggingEvent> LOG = new CopyOnWriteArrayList<>();
    static final AppenderBase<ILoggingEvent> APPENDER = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            LOG.add(event);
        }
    };
    RawDtlsClient client;

    @BeforeAll
    static void startServer() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("fleet-ca.pem"),
                FleetCredentials.toPem(FleetCredentials.caCertificate(SECRET)));
        server = TestServer.start(dir.resolve("data"),
                c -> c.trustedCertificates(dir.resolve("fleet-ca.pem")).publicHost(PUBLIC_HOST));
        APPENDER.start();
        root().addAppender(APPENDER);
    }

    @AfterAll
    static void stopServer() throws Exception {
        root().detachAppender(APPENDER);
        server.close();
    }

    @BeforeEach
    void clearLog() {
        LOG.clear();
    }

    @AfterEach
    void closeClient() {
        if (client != null) {
            client.close();
        }
        // Whatever happened, nothing threw out of our listeners into Scandium (it would log the exception).
        assertThat(LOG).noneMatch(e -> e.getThrowableProxy() != null);
    }

    @Test
    void serverCipherSuiteOrderWinsWithinTheDevicesKindOfCredential() throws Exception {
        Devices.provisionPsk(server.api(), "psk-order", "psk-order", FleetCredentials.pskKey(SECRET, "psk-order"));
        // The device lists the weakest first; the server's order puts GCM before CCM_8.
        client = RawDtlsClient.start(server.server().coapsUri(),
                c -> c.setAsList(DtlsConfig.DTLS_CIPHER_SUITES, CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
                        CipherSuite.TLS_PSK_WITH_AES_128_CCM, CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256),
                RawDtlsClient.psk("psk-order", FleetCredentials.pskKey(SECRET, "psk-order")));
        assertThat(client.handshake().get().getCipherSuite()).isEqualTo(CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256);
        client.close();

        // A device that lists a PSK suite first keeps PSK, though it also offers a suite we rank higher.
        client = RawDtlsClient.start(server.server().coapsUri(),
                c -> c.setAsList(DtlsConfig.DTLS_CIPHER_SUITES, CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
                        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
                b -> RawDtlsClient.psk("psk-order", FleetCredentials.pskKey(SECRET, "psk-order"))
                        .andThen(RawDtlsClient.rpk(FleetCredentials.rpkKeyPair(SECRET, "psk-order"),
                                server.server().identity().certificate(), CertificateType.RAW_PUBLIC_KEY))
                        .accept(b));
        assertThat(client.handshake().get().getCipherSuite()).isEqualTo(CipherSuite.TLS_PSK_WITH_AES_128_CCM_8);
        client.close();

        // Certificate suites: AES-128-GCM first, ahead of the device's CCM_8 and AES-256.
        client = RawDtlsClient.start(server.server().coapsUri(),
                c -> c.setAsList(DtlsConfig.DTLS_CIPHER_SUITES, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
                        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
                RawDtlsClient.rpk(FleetCredentials.rpkKeyPair(SECRET, "rpk-order"),
                        server.server().identity().certificate(), CertificateType.RAW_PUBLIC_KEY));
        assertThat(client.handshake().get().getCipherSuite())
                .isEqualTo(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    }

    @Test
    void rpkDeviceOfferingBothServerCertificateTypesGetsOurRawPublicKey() throws Exception {
        // It lists X.509 first for our certificate, but authenticates with a raw public key itself.
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
        }, RawDtlsClient.rpk(FleetCredentials.rpkKeyPair(SECRET, "rpk-both"), server.server().identity().certificate(),
                CertificateType.X_509, CertificateType.RAW_PUBLIC_KEY));
        DTLSSession session = client.handshake().get();
        // What the server sent: its raw public key, not its certificate.
        assertThat(session.getPeerIdentity()).isInstanceOf(RawPublicKeyIdentity.class);
        assertThat(((RawPublicKeyIdentity) session.getPeerIdentity()).getKey())
                .isEqualTo(server.server().identity().publicKey());
    }

    @Test
    void x509DeviceOfferingBothServerCertificateTypesGetsOurCertificate() throws Exception {
        // It lists RPK first for our certificate, but authenticates with a certificate itself.
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
        }, RawDtlsClient.x509(FleetCredentials.rpkKeyPair(SECRET, "x509-both"),
                FleetCredentials.deviceCertificate(SECRET, "x509-both"), server.server().identity().certificate(),
                CertificateType.RAW_PUBLIC_KEY, CertificateType.X_509));
        DTLSSession session = client.handshake().get();
        // What the server sent: its certificate.
        assertThat(session.getPeerIdentity()).isInstanceOf(X509CertPath.class);
        assertThat(((X509CertPath) session.getPeerIdentity()).getTarget())
                .isEqualTo(server.server().identity().certificate());
    }

    @Test
    void deviceCheckingTheServerNameAcceptsItByAddressAndByPublicHost() throws Exception {
        KeyPair keys = FleetCredentials.rpkKeyPair(SECRET, "x509-name");
        X509Certificate certificate = FleetCredentials.deviceCertificate(SECRET, "x509-name");
        X509Certificate ours = server.server().identity().certificate();
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
        }, RawDtlsClient.x509(keys, certificate, ours, CertificateType.X_509));
        // By IP address: Scandium's client checks it against the certificate's IP names, as OpenSSL's does.
        assertThat(client.handshake().get().getPeerIdentity()).isInstanceOf(X509CertPath.class);
        client.close();
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
        }, RawDtlsClient.x509(keys, certificate, ours, CertificateType.X_509));
        assertThat(client.handshake(PUBLIC_HOST).get().getPeerIdentity()).isInstanceOf(X509CertPath.class);
    }

    @Test
    void deviceRefusingOurCertificateIsLoggedCountedAndPublished() throws Exception {
        double before = failures("device_bad_certificate");
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
        }, RawDtlsClient.x509(FleetCredentials.rpkKeyPair(SECRET, "x509-wrong-name"),
                FleetCredentials.deviceCertificate(SECRET, "x509-wrong-name"), server.server().identity().certificate(),
                CertificateType.X_509));
        // A name the certificate does not carry: the device ends the handshake with a fatal bad_certificate.
        assertThatThrownBy(() -> client.handshake("another-host.example.test").get())
                .isInstanceOf(ExecutionException.class);

        await().atMost(Duration.ofSeconds(10)).until(() -> failures("device_bad_certificate") == before + 1);
        assertPublishedAndLogged(client, "device_bad_certificate", "fatal bad_certificate alert");
    }

    @Test
    void deviceOfferingNoCommonCipherSuiteIsLoggedCountedAndPublished() throws Exception {
        double before = failures("no_common_cipher_suite");
        // An older device: PSK with CBC only, which the server does not offer.
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
            c.set(DtlsConfig.DTLS_RECOMMENDED_CIPHER_SUITES_ONLY, false);
            c.setAsList(DtlsConfig.DTLS_CIPHER_SUITES, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256);
        }, RawDtlsClient.psk("old-device", FleetCredentials.pskKey(SECRET, "old-device")));
        assertThatThrownBy(() -> client.handshake().get()).isInstanceOf(ExecutionException.class);

        await().atMost(Duration.ofSeconds(10)).until(() -> failures("no_common_cipher_suite") == before + 1);
        assertPublishedAndLogged(client, "no_common_cipher_suite", "common cipher suite");
    }

    @Test
    void deviceSharingNoCurveWithOurKeyIsLoggedCountedAndPublished() throws Exception {
        double before = failures("no_common_certificate_ec_groups");
        // ECDHE-ECDSA, but only X448: it could not verify a signature of our P-256 key.
        client = RawDtlsClient.start(server.server().coapsUri(), c -> {
            c.setAsList(DtlsConfig.DTLS_CIPHER_SUITES, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8);
            c.setAsList(DtlsConfig.DTLS_CURVES, SupportedGroup.X448);
        }, b -> b.setCertificateVerifier(org.eclipse.californium.scandium.dtls.x509.StaticCertificateVerifier
                .builder().setTrustAllRPKs().build()));
        assertThatThrownBy(() -> client.handshake().get()).isInstanceOf(ExecutionException.class);

        await().atMost(Duration.ofSeconds(10))
                .until(() -> failures("no_common_certificate_ec_groups") == before + 1);
        assertPublishedAndLogged(client, "no_common_certificate_ec_groups", "ec-group");
    }

    /** The refusal of {@code client}'s handshake is among the overview's failures and was logged once, with reason. */
    private static void assertPublishedAndLogged(RawDtlsClient client, String reason, String detail) {
        String peer = "127.0.0.1:" + client.address().getPort();
        JsonNode failure = await().atMost(Duration.ofSeconds(10)).until(
                () -> server.api().get("/api/v1/fleet/stats").json().get("authenticationFailures"),
                list -> list.findParents("peer").stream().anyMatch(f -> peer.equals(f.path("peer").asText())));
        JsonNode mine = failure.findParents("peer").stream().filter(f -> peer.equals(f.path("peer").asText()))
                .findFirst().orElseThrow();
        assertThat(mine.path("reason").asText()).contains(detail);
        assertThat(mine.path("request").asText()).isEqualTo("dtls-handshake");
        assertThat(LOG).filteredOn(e -> e.getLoggerName().endsWith("DtlsFailureListener"))
                .extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> m.contains("peer=" + peer))
                .singleElement().asString().contains("reason=" + reason);
    }

    private static double failures(String reason) {
        double sum = 0;
        for (String line : server.api().get("/metrics").text().split("\n")) {
            if (line.startsWith("lwm2m_dtls_handshake_failures_total{") && line.contains("reason=\"" + reason + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
