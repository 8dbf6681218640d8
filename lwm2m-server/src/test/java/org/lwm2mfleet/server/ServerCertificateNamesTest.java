package org.lwm2mfleet.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwm2mfleet.server.config.ServerConfig;
import org.lwm2mfleet.server.lwm2m.ServerIdentity;

/**
 * The server's generated DTLS certificate names the hosts a device may check it against (the public host, the bound
 * address), and is issued again, for the same key, when they change. A name-checking client's view of it over DTLS is
 * in {@link DtlsNegotiationTest}.
 */
class ServerCertificateNamesTest {

    @TempDir
    Path dir;

    @Test
    void generatedCertificateNamesThePublicHostAndTheBoundAddress() throws Exception {
        X509Certificate certificate = ServerIdentity.load(config("lwm2m.example.test")).certificate();

        assertThat(names(certificate)).contains("dns:lwm2m.example.test", "ip:127.0.0.1", "dns:localhost");
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=lwm2m-fleet-server");
    }

    @Test
    void changingThePublicHostIssuesTheCertificateAgainForTheSameKey() throws Exception {
        ServerIdentity first = ServerIdentity.load(config("old.example.test"));
        Path file = dir.resolve("keys").resolve("server-cert.pem");
        String pem = Files.readString(file);

        // Same names: the same certificate, untouched.
        assertThat(ServerIdentity.load(config("old.example.test")).certificate()).isEqualTo(first.certificate());
        assertThat(Files.readString(file)).isEqualTo(pem);

        ServerIdentity moved = ServerIdentity.load(config("new.example.test"));
        assertThat(names(moved.certificate())).contains("dns:new.example.test").doesNotContain("dns:old.example.test");
        assertThat(moved.certificate().getSerialNumber()).isNotEqualTo(first.certificate().getSerialNumber());
        // RPK devices (and any that pinned the key) keep working: the key is the same.
        assertThat(moved.publicKey()).isEqualTo(first.publicKey());
        assertThat(moved.privateKey()).isEqualTo(first.privateKey());
        assertThat(Files.readString(file)).isNotEqualTo(pem);
    }

    @Test
    void certificateWithoutNamesFromAnEarlierVersionIsIssuedAgainWithThem() throws Exception {
        // As generated before names were added: CN only.
        ServerIdentity.generate(dir.resolve("keys").resolve("server-key.pem"),
                dir.resolve("keys").resolve("server-cert.pem"), "lwm2m-fleet-server");
        X509Certificate before = ServerIdentity.readCertificates(dir.resolve("keys").resolve("server-cert.pem"), "x")
                .get(0);
        assertThat(names(before)).isEmpty();

        ServerIdentity identity = ServerIdentity.load(config(null));
        assertThat(names(identity.certificate())).contains("ip:127.0.0.1", "dns:localhost");
        assertThat(identity.publicKey()).isEqualTo(before.getPublicKey());
    }

    @Test
    void wildcardBindNamesLoopbackAndTheHostsAddresses() throws Exception {
        X509Certificate certificate = ServerIdentity
                .load(ServerConfig.builder(dir).loopbackEphemeralPorts().coapsAddress("0.0.0.0").build()).certificate();
        Set<String> expected = new TreeSet<>(Set.of("dns:localhost", "ip:127.0.0.1", "ip:0:0:0:0:0:0:0:1"));
        for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp()) {
                nic.inetAddresses().filter(a -> !a.isLinkLocalAddress())
                        .forEach(a -> expected.add("ip:" + a.getHostAddress().replaceFirst("%.*$", "")));
            }
        }
        assertThat(names(certificate)).containsAll(expected).noneMatch(n -> n.equals("ip:0.0.0.0"));
    }

    private ServerConfig config(String publicHost) {
        return ServerConfig.builder(dir).loopbackEphemeralPorts().publicHost(publicHost).build();
    }

    /** Subject alternative names as {@code dns:...} and {@code ip:...}. */
    static Set<String> names(X509Certificate certificate) throws Exception {
        Set<String> names = new TreeSet<>();
        if (certificate.getSubjectAlternativeNames() != null) {
            for (List<?> name : certificate.getSubjectAlternativeNames()) {
                names.add(((Integer) name.get(0) == 7 ? "ip:" : "dns:") + name.get(1));
            }
        }
        return names;
    }
}
