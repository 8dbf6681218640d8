package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.sim.fleet.DeviceSecurity;
import org.lwm2mfleet.sim.fleet.FleetCredentials;
import org.lwm2mfleet.sim.fleet.SimulatedDevice;
import org.lwm2mfleet.sim.profiles.Profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * X.509 devices whose certificate was uploaded at provisioning: accepted with that certificate only, over real DTLS
 * with real Leshan clients; another certificate with the same CN from the same CA is refused at the handshake, logged
 * and shown among the overview's authentication failures, and disturbs nobody.
 */
class CertificatePinningTest {

    private static final String SECRET = "certificate-pinning-test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestServer server;
    Devices devices;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.trustingFleetCa(dir, SECRET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void devices() {
        devices = new Devices();
    }

    @AfterEach
    void stopDevices() {
        devices.close();
    }

    @Test
    void pinnedCertificateIsAcceptedAndAnotherWithTheSameCnFromTheSameCaIsRefused() throws Exception {
        X509Certificate genuine = FleetCredentials.deviceCertificate(SECRET, "pinned-1");
        Api.Reply created = server.api().post("/api/v1/devices", x509("pinned-1", FleetCredentials.toPem(genuine)));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode shown = created.json().at("/credentials/certificate");
        assertThat(shown.get("subject").asText()).isEqualTo("CN=pinned-1");
        assertThat(shown.get("issuer").asText()).isEqualTo(FleetCredentials.CA_SUBJECT);
        assertThat(Instant.parse(shown.get("notAfter").asText())).isEqualTo(genuine.getNotAfter().toInstant());
        assertThat(shown.get("sha256").asText()).isEqualTo(sha256(genuine));
        assertThat(created.text()).doesNotContain("BEGIN CERTIFICATE");
        assertThat(server.api().get("/api/v1/devices/pinned-1/credentials").json().at("/certificate/sha256").asText())
                .isEqualTo(sha256(genuine));

        // An unpinned X.509 device of the same CA keeps working as before.
        assertThat(server.api().post("/api/v1/devices", x509("unpinned-1", null)).status()).isEqualTo(201);
        devices.start("unpinned-1", Profile.WATER_METER, server.server().coapsUri(), DeviceSecurity.x509(
                FleetCredentials.rpkKeyPair(SECRET, "unpinned-1"),
                FleetCredentials.deviceCertificate(SECRET, "unpinned-1"), server.server().identity().certificate()));
        devices.start("pinned-1", Profile.GAS_DETECTOR, server.server().coapsUri(), DeviceSecurity.x509(
                FleetCredentials.rpkKeyPair(SECRET, "pinned-1"), genuine, server.server().identity().certificate()));
        String registrationId = awaitOnline("pinned-1").at("/registration/id").asText();
        awaitOnline("unpinned-1");
        assertThat(server.api().get("/api/v1/devices/pinned-1/objects/3/0/0").status()).isEqualTo(200);

        // Same CN, same CA, another key: a valid certificate the CA check alone would accept.
        KeyPair otherKeys = TestCertificates.newKeyPair();
        X509Certificate impostor = TestCertificates.device("pinned-1", otherKeys, FleetCredentials.CA_SUBJECT,
                FleetCredentials.caKeyPair(SECRET).getPrivate());
        double before = notPinnedFailures();
        SimulatedDevice intruder = devices.start("pinned-1", Profile.GAS_DETECTOR, server.server().coapsUri(),
                DeviceSecurity.x509(otherKeys, impostor, server.server().identity().certificate()));

        await().atMost(Duration.ofSeconds(20)).until(() -> notPinnedFailures() > before);
        JsonNode failure = await().atMost(Duration.ofSeconds(10)).until(
                () -> server.api().get("/api/v1/fleet/stats").json().get("authenticationFailures"),
                list -> list.findParents("endpoint").stream().anyMatch(f -> "pinned-1".equals(f.path("endpoint")
                        .asText()) && f.path("reason").asText().contains("not the one pinned")));
        assertThat(failure.toString()).contains(sha256(impostor));
        assertThat(intruder.isRegistered()).isFalse();

        // Nothing else disturbed: the genuine device keeps its registration and answers, so does the other one.
        JsonNode device = server.api().get("/api/v1/devices/pinned-1").json();
        assertThat(device.path("status").asText()).isEqualTo("online");
        assertThat(device.at("/registration/id").asText()).isEqualTo(registrationId);
        assertThat(server.api().get("/api/v1/devices/pinned-1/objects/3/0/0").status()).isEqualTo(200);
        assertThat(server.api().get("/api/v1/devices/unpinned-1/objects/3/0/0").status()).isEqualTo(200);
    }

    @Test
    void replacingTheCredentialsPinsTheNewCertificate() throws Exception {
        X509Certificate first = FleetCredentials.deviceCertificate(SECRET, "rekeyed-1");
        assertThat(server.api().post("/api/v1/devices", x509("rekeyed-1", FleetCredentials.toPem(first))).status())
                .isEqualTo(201);
        KeyPair newKeys = TestCertificates.newKeyPair();
        X509Certificate second = TestCertificates.device("rekeyed-1", newKeys, FleetCredentials.CA_SUBJECT,
                FleetCredentials.caKeyPair(SECRET).getPrivate());

        Api.Reply replaced = server.api().put("/api/v1/devices/rekeyed-1/credentials",
                credentials(FleetCredentials.toPem(second)));
        assertThat(replaced.status()).as(replaced.text()).isEqualTo(200);
        assertThat(replaced.json().at("/credentials/certificate/sha256").asText()).isEqualTo(sha256(second));

        // The first certificate is refused now, the second accepted.
        double before = notPinnedFailures();
        SimulatedDevice old = devices.start("rekeyed-1", Profile.WATER_METER, server.server().coapsUri(),
                DeviceSecurity.x509(FleetCredentials.rpkKeyPair(SECRET, "rekeyed-1"), first,
                        server.server().identity().certificate()));
        await().atMost(Duration.ofSeconds(20)).until(() -> notPinnedFailures() > before);
        assertThat(old.isRegistered()).isFalse();
        old.destroy();
        devices.start("rekeyed-1", Profile.WATER_METER, server.server().coapsUri(),
                DeviceSecurity.x509(newKeys, second, server.server().identity().certificate()));
        awaitOnline("rekeyed-1");

        // Back to "any certificate of the CA with this CN": the certificate is no longer shown.
        Api.Reply unpinned = server.api().put("/api/v1/devices/rekeyed-1/credentials", "{\"kind\":\"x509\"}");
        assertThat(unpinned.status()).as(unpinned.text()).isEqualTo(200);
        assertThat(unpinned.json().at("/credentials/certificate").isNull()).isTrue();
    }

    @Test
    void refusesAtProvisioningACertificateForAnotherEndpointOrCaOrTime() throws Exception {
        // Another endpoint's certificate: the CN is not this endpoint.
        Api.Reply wrongCn = server.api().post("/api/v1/devices",
                x509("meter-9", FleetCredentials.toPem(FleetCredentials.deviceCertificate(SECRET, "meter-8"))));
        DeviceOperationsTest.assertProblem(wrongCn, 400, "credentials.certificate");
        assertThat(wrongCn.json().get("detail").asText()).contains("CN 'meter-8'", "'meter-9'");

        // A CA the server does not trust.
        KeyPair keys = TestCertificates.newKeyPair();
        Api.Reply untrusted = server.api().post("/api/v1/devices",
                x509("meter-9", FleetCredentials.toPem(TestCertificates.selfSigned("meter-9", keys))));
        DeviceOperationsTest.assertProblem(untrusted, 400, "credentials.certificate");
        assertThat(untrusted.json().get("detail").asText()).contains("trusted-certificates");

        // Expired, though from the trusted CA with the right CN.
        Instant now = Instant.now();
        X509Certificate expired = TestCertificates.device("meter-9", keys, FleetCredentials.CA_SUBJECT,
                FleetCredentials.caKeyPair(SECRET).getPrivate(), now.minus(30, ChronoUnit.DAYS),
                now.minus(1, ChronoUnit.DAYS));
        Api.Reply old = server.api().post("/api/v1/devices", x509("meter-9", FleetCredentials.toPem(expired)));
        DeviceOperationsTest.assertProblem(old, 400, "credentials.certificate");
        assertThat(old.json().get("detail").asText()).contains("expired");

        DeviceOperationsTest.assertProblem(server.api().post("/api/v1/devices", x509("meter-9", "not a certificate")),
                400, "credentials.certificate");
        DeviceOperationsTest.assertProblem(server.api().post("/api/v1/devices", "{\"endpoint\":\"meter-9\","
                + "\"credentials\":{\"kind\":\"psk\",\"identity\":\"m9\",\"key\":\"00112233\",\"certificate\":\""
                + "MIIB\"}}"), 400, "credentials.certificate");
        assertThat(server.api().get("/api/v1/devices/meter-9").status()).isEqualTo(404);
    }

    @Test
    void bulkCsvPinsTheCertificateOfEachRow() throws Exception {
        String good = FleetCredentials.toPem(FleetCredentials.deviceCertificate(SECRET, "csv-x509-1"));
        String wrong = FleetCredentials.toPem(FleetCredentials.deviceCertificate(SECRET, "someone-else"));
        String csv = "endpoint,kind,certificate,tags\n"
                + "csv-x509-1,x509,\"" + good + "\",bulk\n"
                + "csv-x509-2,x509,\"" + wrong + "\",bulk\n"
                + "csv-x509-3,x509,,bulk\n";
        Api.Reply reply = server.api().post("/api/v1/devices:bulk", "text/csv", csv);
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        assertThat(reply.json().get("created").asInt()).as(reply.text()).isEqualTo(2);
        JsonNode rejected = reply.json().get("rows").get(1);
        assertThat(rejected.get("status").asText()).isEqualTo("rejected");
        assertThat(rejected.get("field").asText()).isEqualTo("credentials.certificate");
        assertThat(server.api().get("/api/v1/devices/csv-x509-1").json().at("/credentials/certificate/subject")
                .asText()).isEqualTo("CN=csv-x509-1");
        assertThat(server.api().get("/api/v1/devices/csv-x509-3").json().at("/credentials/certificate").isNull())
                .isTrue();
    }

    @Test
    void withoutTrustedCasAPinnedSelfSignedCertificateIsItsOwnTrust() throws Exception {
        try (TestServer bare = TestServer.start(dir.resolve("bare")); Devices local = new Devices()) {
            KeyPair keys = TestCertificates.newKeyPair();
            X509Certificate own = TestCertificates.selfSigned("self-1", keys);
            Api.Reply created = bare.api().post("/api/v1/devices", x509("self-1", FleetCredentials.toPem(own)));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            local.start("self-1", Profile.ENVIRONMENT_SENSOR, bare.server().coapsUri(),
                    DeviceSecurity.x509(keys, own, bare.server().identity().certificate()));
            await().atMost(Duration.ofSeconds(20)).until(() -> "online".equals(
                    bare.api().get("/api/v1/devices/self-1").json().path("status").asText()));

            // An x509 device without a pinned certificate has nothing to be trusted by here: refused.
            assertThat(bare.api().post("/api/v1/devices", x509("self-2", null)).status()).isEqualTo(201);
            KeyPair otherKeys = TestCertificates.newKeyPair();
            SimulatedDevice unpinned = local.start("self-2", Profile.ENVIRONMENT_SENSOR, bare.server().coapsUri(),
                    DeviceSecurity.x509(otherKeys, TestCertificates.selfSigned("self-2", otherKeys),
                            bare.server().identity().certificate()));
            await().atMost(Duration.ofSeconds(20)).until(() -> bare.api().get("/api/v1/fleet/stats").json()
                    .get("authenticationFailures").findValuesAsText("endpoint").contains("self-2"));
            assertThat(unpinned.isRegistered()).isFalse();
            assertThat(bare.api().get("/api/v1/devices/self-1").json().path("status").asText()).isEqualTo("online");
        }
    }

    private static String x509(String endpoint, String certificate) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("endpoint", endpoint);
        body.put("credentials", JSON.readTree(credentials(certificate)));
        return JSON.writeValueAsString(body);
    }

    private static String credentials(String certificate) throws Exception {
        Map<String, Object> credentials = new LinkedHashMap<>();
        credentials.put("kind", "x509");
        if (certificate != null) {
            credentials.put("certificate", certificate);
        }
        return JSON.writeValueAsString(credentials);
    }

    private static String sha256(X509Certificate certificate) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    }

    private static double notPinnedFailures() {
        double sum = 0;
        for (String line : server.api().get("/metrics").text().split("\n")) {
            if (line.startsWith("lwm2m_dtls_handshake_failures_total{")
                    && line.contains("reason=\"certificate_not_pinned\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static JsonNode awaitOnline(String endpoint) {
        return await().atMost(Duration.ofSeconds(20)).until(
                () -> server.api().get("/api/v1/devices/" + endpoint).json(),
                json -> json != null && "online".equals(json.path("status").asText()));
    }
}
