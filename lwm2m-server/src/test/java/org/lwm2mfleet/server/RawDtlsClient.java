package org.lwm2mfleet.server;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.security.auth.x500.X500Principal;

import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.EndpointContext;
import org.eclipse.californium.elements.MessageCallback;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateMessage;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.CertificateVerificationResult;
import org.eclipse.californium.scandium.dtls.ConnectionId;
import org.eclipse.californium.scandium.dtls.DTLSSession;
import org.eclipse.californium.scandium.dtls.HandshakeResultHandler;
import org.eclipse.californium.scandium.dtls.pskstore.SinglePskStore;
import org.eclipse.californium.scandium.dtls.x509.CertificateVerifier;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticCertificateVerifier;
import org.eclipse.californium.scandium.util.ServerNames;

/**
 * A device's DTLS stack without LwM2M on top: a Scandium client connector on 127.0.0.1 whose every handshake parameter
 * a test sets (suites, curves, which certificate types it offers and in which order, whether it checks the server's
 * name), for the handshakes a Leshan client never makes. {@link #handshake} completes with the client's session, or
 * exceptionally with the reason the handshake failed.
 */
final class RawDtlsClient implements AutoCloseable {

    /** An empty confirmable CoAP message (a CoAP ping): the data whose sending makes the client shake hands. */
    private static final byte[] COAP_PING = { 0x40, 0x00, 0x00, 0x01 };

    private final DTLSConnector connector;
    private final InetSocketAddress server;

    private RawDtlsClient(DtlsConnectorConfig config, InetSocketAddress server) throws Exception {
        this.connector = new DTLSConnector(config);
        this.server = server;
        connector.setRawDataReceiver(data -> {
        });
        connector.start();
    }

    /**
     * @param coapsUri the server's {@code coaps://} URI
     * @param settings Scandium settings on top of the client defaults (suites, curves)
     * @param credentials the client's identity and its verifier of the server
     */
    static RawDtlsClient start(URI coapsUri, Consumer<Configuration> settings,
            Consumer<DtlsConnectorConfig.Builder> credentials) throws Exception {
        Configuration configuration = new Configuration(DtlsConfig.DEFINITIONS);
        configuration.set(DtlsConfig.DTLS_ROLE, DtlsRole.CLIENT_ONLY);
        // One flight and a short wait: a refused handshake ends at once, and a test must not wait for retries.
        configuration.set(DtlsConfig.DTLS_MAX_RETRANSMISSIONS, 1);
        configuration.set(DtlsConfig.DTLS_USE_SERVER_NAME_INDICATION, true);
        settings.accept(configuration);
        DtlsConnectorConfig.Builder builder = new DtlsConnectorConfig.Builder(configuration)
                .setAddress(new InetSocketAddress("127.0.0.1", 0));
        credentials.accept(builder);
        return new RawDtlsClient(builder.build(), new InetSocketAddress(coapsUri.getHost(), coapsUri.getPort()));
    }

    /** PSK credentials. */
    static Consumer<DtlsConnectorConfig.Builder> psk(String identity, byte[] key) {
        return b -> b.setPskStore(new SinglePskStore(identity, key));
    }

    /** A raw public key of its own; the server's certificate types it accepts, in the order it offers them. */
    static Consumer<DtlsConnectorConfig.Builder> rpk(KeyPair keys, X509Certificate serverCertificate,
            CertificateType... serverTypes) {
        return b -> b.setCertificateIdentityProvider(new SingleCertificateProvider(keys.getPrivate(), keys.getPublic()))
                .setCertificateVerifier(trusting(serverCertificate, serverTypes));
    }

    /** A certificate of its own; the server's certificate types it accepts, in the order it offers them. */
    static Consumer<DtlsConnectorConfig.Builder> x509(KeyPair keys, X509Certificate certificate,
            X509Certificate serverCertificate, CertificateType... serverTypes) {
        return b -> b
                .setCertificateIdentityProvider(new SingleCertificateProvider(keys.getPrivate(),
                        new X509Certificate[] { certificate }, CertificateType.X_509))
                .setCertificateVerifier(trusting(serverCertificate, serverTypes));
    }

    /**
     * Trusts the server's certificate (as its own trust anchor, checking the name the client connected to against it,
     * as Scandium's client does by default) and the server's public key as an RPK.
     */
    private static CertificateVerifier trusting(X509Certificate serverCertificate, CertificateType... types) {
        CertificateVerifier scandium = StaticCertificateVerifier.builder()
                .setTrustedCertificates(serverCertificate)
                .setTrustedRPKs(new org.eclipse.californium.elements.auth.RawPublicKeyIdentity(
                        serverCertificate.getPublicKey()))
                .build();
        List<CertificateType> offered = List.of(types);
        return new CertificateVerifier() {
            @Override
            public CertificateVerificationResult verifyCertificate(ConnectionId cid, ServerNames serverName,
                    InetSocketAddress remotePeer, boolean clientUsage, boolean verifySubject,
                    boolean truncateCertificatePath, CertificateMessage message) {
                return scandium.verifyCertificate(cid, serverName, remotePeer, clientUsage, verifySubject,
                        truncateCertificatePath, message);
            }

            @Override
            public List<CertificateType> getSupportedCertificateTypes() {
                return offered;
            }

            @Override
            public List<X500Principal> getAcceptedIssuers() {
                return scandium.getAcceptedIssuers();
            }

            @Override
            public void setResultHandler(HandshakeResultHandler resultHandler) {
                scandium.setResultHandler(resultHandler);
            }
        };
    }

    /** Handshakes with the server at its address (the name checked is then its IP address). */
    CompletableFuture<DTLSSession> handshake() {
        return handshake(new AddressEndpointContext(server));
    }

    /** Handshakes with the server under a host name, sent as SNI and checked against its certificate. */
    CompletableFuture<DTLSSession> handshake(String hostName) {
        return handshake(new AddressEndpointContext(server, hostName, null));
    }

    private CompletableFuture<DTLSSession> handshake(EndpointContext destination) {
        CompletableFuture<DTLSSession> done = new CompletableFuture<>();
        connector.send(RawData.outbound(COAP_PING, destination, new MessageCallback() {
            @Override
            public void onConnecting() {
            }

            @Override
            public void onDtlsRetransmission(int flight) {
            }

            @Override
            public void onContextEstablished(EndpointContext context) {
            }

            @Override
            public void onSent() {
                done.complete(connector.getSessionByAddress(server));
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        }, false));
        return done.orTimeout(20, TimeUnit.SECONDS);
    }

    /** This client's own address, as the server sees it. */
    InetSocketAddress address() {
        return connector.getAddress();
    }

    @Override
    public void close() {
        connector.destroy();
    }
}
