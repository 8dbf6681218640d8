package org.lwm2mfleet.sim.fleet;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.request.DownlinkDeviceManagementRequest;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.LeshanServerBuilder;
import org.eclipse.leshan.server.model.VersionedModelProvider;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.servers.security.InMemorySecurityStore;
import org.eclipse.leshan.servers.security.NonUniqueSecurityInfoException;
import org.eclipse.leshan.servers.security.SecurityInfo;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpointsProvider;
import org.eclipse.leshan.transport.californium.server.endpoint.coap.CoapServerProtocolProvider;
import org.eclipse.leshan.transport.californium.server.endpoint.coaps.CoapsServerProtocolProvider;
import org.lwm2mfleet.models.ObjectModels;

/**
 * A bare Leshan server on loopback (CoAP and CoAPS on ephemeral ports) to check simulated devices against: an
 * in-memory security store, the project's object models, an EC identity with a self-signed certificate (for RPK and
 * X.509), and the fleet CA of {@link #FLEET_SECRET} as trust anchor for device certificates.
 */
final class TestLeshanServer implements AutoCloseable {

    static final String FLEET_SECRET = "test-fleet-secret";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final InMemorySecurityStore securityStore = new InMemorySecurityStore();
    private final KeyPair keyPair = FleetCredentials.rpkKeyPair("server-secret", "test-server");
    private final X509Certificate certificate = selfSigned(keyPair);
    private final LeshanServer server;

    TestLeshanServer() {
        CaliforniumServerEndpointsProvider.Builder endpoints = new CaliforniumServerEndpointsProvider.Builder(
                new CoapServerProtocolProvider(), new CoapsServerProtocolProvider());
        endpoints.addEndpoint(new InetSocketAddress("127.0.0.1", 0), Protocol.COAP);
        endpoints.addEndpoint(new InetSocketAddress("127.0.0.1", 0), Protocol.COAPS);
        server = new LeshanServerBuilder().setEndpointsProviders(endpoints.build())
                .setObjectModelProvider(new VersionedModelProvider(ObjectModels.all()))
                .setSecurityStore(securityStore).setPrivateKey(keyPair.getPrivate())
                .setCertificateChain(new X509Certificate[] { certificate })
                .setTrustedCertificates(new X509Certificate[] { FleetCredentials.caCertificate(FLEET_SECRET) })
                .build();
        server.start();
    }

    URI coapUri() {
        return URI.create(server.getEndpoint(Protocol.COAP).getURI().toString());
    }

    URI coapsUri() {
        return URI.create(server.getEndpoint(Protocol.COAPS).getURI().toString());
    }

    X509Certificate certificate() {
        return certificate;
    }

    LeshanServer leshan() {
        return server;
    }

    /** Provisions a device of the test fleet in the given mode. */
    void provision(SecurityMode mode, String endpoint) {
        SecurityInfo info = switch (mode) {
        case NONE -> null;
        case PSK -> SecurityInfo.newPreSharedKeyInfo(endpoint, FleetCredentials.pskIdentity(endpoint),
                FleetCredentials.pskKey(FLEET_SECRET, endpoint));
        case RPK -> SecurityInfo.newRawPublicKeyInfo(endpoint,
                FleetCredentials.rpkKeyPair(FLEET_SECRET, endpoint).getPublic());
        case X509 -> SecurityInfo.newX509CertInfo(endpoint);
        };
        if (info != null) {
            try {
                securityStore.add(info);
            } catch (NonUniqueSecurityInfoException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The device's current registration, or null. */
    Registration registration(String endpoint) {
        return server.getRegistrationService().getByEndpoint(endpoint);
    }

    <T extends LwM2mResponse> T send(String endpoint, DownlinkDeviceManagementRequest<T> request)
            throws InterruptedException {
        Registration registration = registration(endpoint);
        if (registration == null) {
            throw new IllegalStateException(endpoint + " is not registered");
        }
        T response = server.send(registration, request, REQUEST_TIMEOUT.toMillis());
        if (response == null) {
            throw new IllegalStateException("no answer from " + endpoint + " to " + request);
        }
        return response;
    }

    @Override
    public void close() {
        server.destroy();
    }

    private static X509Certificate selfSigned(KeyPair keyPair) {
        X500Name subject = new X500Name("CN=localhost");
        Instant now = Instant.now();
        try {
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(subject,
                    BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(365))), subject, keyPair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the server certificate", e);
        }
    }
}
