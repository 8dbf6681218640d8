package org.lwm2mfleet.bench;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.peer.OscoreIdentity;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.LeshanServerBuilder;
import org.eclipse.leshan.server.model.VersionedModelProvider;
import org.eclipse.leshan.servers.security.SecurityInfo;
import org.eclipse.leshan.servers.security.SecurityStore;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpointsProvider;
import org.eclipse.leshan.transport.californium.server.endpoint.coap.CoapServerProtocolProvider;
import org.eclipse.leshan.transport.californium.server.endpoint.coaps.CoapsServerProtocolProvider;
import org.lwm2mfleet.models.ObjectModels;
import org.lwm2mfleet.sim.fleet.FleetCredentials;

/**
 * The baseline of {@code bench --baseline leshan}: a bare Leshan server of the version LwM2M Fleet is built on, with
 * Leshan's defaults (in-memory registrations), CoAP and CoAPS on 127.0.0.1, the project's object models, and a
 * security store that knows every device of a fleet secret (each device's credentials are derived on its first
 * handshake and then kept in memory, as a provisioned store would hold them). Run in its own JVM by the bench:
 * {@code java -cp BENCH_JAR org.lwm2mfleet.bench.LeshanBaselineServer --coaps-port 0 --fleet-secret S [--security x509]}.
 */
public final class LeshanBaselineServer {

    private LeshanBaselineServer() {
    }

    public static void main(String[] args) throws Exception {
        int coapPort = 0;
        int coapsPort = 0;
        String fleetSecret = "bench";
        Path certificateFile = null;
        boolean x509 = false;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
            case "--coap-port" -> coapPort = Integer.parseInt(args[i + 1]);
            case "--coaps-port" -> coapsPort = Integer.parseInt(args[i + 1]);
            case "--fleet-secret" -> fleetSecret = args[i + 1];
            case "--certificate-file" -> certificateFile = Path.of(args[i + 1]);
            case "--security" -> x509 = args[i + 1].equalsIgnoreCase("x509");
            default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Started started = start(coapPort, coapsPort, fleetSecret, x509);
        LeshanServer server = started.server();
        if (certificateFile != null) {
            Files.writeString(certificateFile, FleetCredentials.toPem(started.certificate()));
        }
        System.out.println("Leshan baseline started: coap port " + server.getEndpoint(Protocol.COAP).getURI().getPort()
                + " coaps port " + server.getEndpoint(Protocol.COAPS).getURI().getPort());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.destroy();
            stopped.countDown();
        }));
        stopped.await();
    }

    /** A started baseline server and the certificate it presents (its public key is its RPK). */
    public record Started(LeshanServer server, X509Certificate certificate) {
    }

    /** Starts the baseline on 127.0.0.1 ({@code 0}: an ephemeral port): from {@link #main}, or in a test's JVM. */
    public static Started start(int coapPort, int coapsPort, String fleetSecret, boolean x509) throws Exception {
        KeyPair keyPair = FleetCredentials.rpkKeyPair(fleetSecret, "leshan-baseline-server");
        X509Certificate certificate = selfSigned(keyPair);
        CaliforniumServerEndpointsProvider.Builder endpoints = new CaliforniumServerEndpointsProvider.Builder(
                new CoapServerProtocolProvider(), new CoapsServerProtocolProvider());
        endpoints.addEndpoint(new InetSocketAddress("127.0.0.1", coapPort), Protocol.COAP);
        endpoints.addEndpoint(new InetSocketAddress("127.0.0.1", coapsPort), Protocol.COAPS);
        LeshanServer server = new LeshanServerBuilder().setEndpointsProviders(endpoints.build())
                .setObjectModelProvider(new VersionedModelProvider(ObjectModels.all()))
                .setSecurityStore(new DerivedSecurityStore(fleetSecret, x509)).setPrivateKey(keyPair.getPrivate())
                .setPublicKey(keyPair.getPublic()).setCertificateChain(new X509Certificate[] { certificate })
                .setTrustedCertificates(new X509Certificate[] { FleetCredentials.caCertificate(fleetSecret) })
                .build();
        server.start();
        return new Started(server, certificate);
    }

    /** Every endpoint of the fleet, PSK identity = endpoint; RPK and X.509 too (by endpoint). */
    private static final class DerivedSecurityStore implements SecurityStore {
        private final String fleetSecret;
        private final boolean x509;
        private final Map<String, SecurityInfo> psk = new ConcurrentHashMap<>();
        private final Map<String, SecurityInfo> byEndpoint = new ConcurrentHashMap<>();

        DerivedSecurityStore(String fleetSecret, boolean x509) {
            this.fleetSecret = fleetSecret;
            this.x509 = x509;
        }

        @Override
        public SecurityInfo getByEndpoint(String endpoint) {
            SecurityInfo known = psk.get(endpoint);
            if (known != null) {
                return known;
            }
            return byEndpoint.computeIfAbsent(endpoint, e -> x509 ? SecurityInfo.newX509CertInfo(e)
                    : SecurityInfo.newRawPublicKeyInfo(e, FleetCredentials.rpkKeyPair(fleetSecret, e).getPublic()));
        }

        @Override
        public SecurityInfo getByIdentity(String identity) {
            return psk.computeIfAbsent(identity, id -> SecurityInfo.newPreSharedKeyInfo(id, id,
                    FleetCredentials.pskKey(fleetSecret, id)));
        }

        @Override
        public SecurityInfo getByOscoreIdentity(OscoreIdentity identity) {
            return null;
        }
    }

    private static X509Certificate selfSigned(KeyPair keyPair) throws Exception {
        X500Name subject = new X500Name("CN=localhost");
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(subject,
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(365))), subject, keyPair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
    }
}
