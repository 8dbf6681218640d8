package org.lwm2mfleet.server.lwm2m;

import java.net.InetSocketAddress;
import java.util.List;

import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.LeshanServerBuilder;
import org.eclipse.leshan.server.queue.StaticClientAwakeTimeProvider;
import org.eclipse.leshan.server.registration.RegistrationStore;
import org.eclipse.leshan.server.security.Authorizer;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpoint;
import org.eclipse.leshan.transport.californium.server.endpoint.CaliforniumServerEndpointsProvider;
import org.eclipse.leshan.transport.californium.server.endpoint.coap.CoapServerProtocolProvider;
import org.eclipse.leshan.transport.californium.server.endpoint.coaps.CoapsServerProtocolProvider;
import org.lwm2mfleet.server.config.ServerConfig;
import org.lwm2mfleet.server.models.ModelCatalogue;

/** Builds the Leshan server: CoAP and CoAPS endpoints from Californium/Scandium, our stores and authorizer. */
public final class LeshanServerFactory {

    /**
     * Strongest first. The two CCM_8 suites are the mandatory ones of LwM2M 1.1 (PSK, and certificate or RPK), and
     * often the only ones a microcontroller's DTLS stack offers.
     */
    static final List<CipherSuite> CIPHER_SUITES = List.of(
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
            CipherSuite.TLS_PSK_WITH_AES_128_CCM,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
            CipherSuite.TLS_PSK_WITH_AES_128_CCM_8);

    /** Label of the CoAPS connector in saved DTLS state ({@link DtlsState}): the same whatever the bind address. */
    static final String DTLS_STATE_LABEL = "coaps";

    private LeshanServerFactory() {
    }

    /**
     * Received messages remembered per peer for duplicate detection. Each keeps its exchange (request, response,
     * endpoint contexts: about 2.5 KiB), so 16 per peer held 160,000 exchanges for 10,000 reporting devices (heap
     * histogram during bench steady-reporting); a device has one confirmable notification or request in flight at a
     * time, and 4 still cover its retransmissions and a request crossing a notification.
     */
    static final int PEER_DEDUPLICATION_MESSAGES = 4;
    /**
     * The largest answer of a device to a Read, Discover or composite request, reassembled block-wise: a whole
     * device read with many instances is tens of kilobytes. Californium's default is 8 KiB.
     */
    static final int DEVICE_ANSWER_MAX_BYTES = 1024 * 1024;
    /** Block size of block-wise transfers when the device does not ask for one (see {@link #create}). */
    static final int BLOCK_SIZE = 1024;

    public static LeshanServer create(ServerConfig config, ServerIdentity identity, List<ObjectModel> models,
            FleetSecurityStore securityStore, Authorizer authorizer, DtlsFailureListener dtlsFailures,
            java.time.Clock clock, RegistrationStore registrations) {
        // Our verifier instead of the one Leshan builds from trusted certificates: the same checks, plus pinning.
        PinningCertificateVerifier verifier = new PinningCertificateVerifier(securityStore,
                identity.trustedCertificates(), dtlsFailures, clock);
        CaliforniumServerEndpointsProvider.Builder endpoints = new CaliforniumServerEndpointsProvider.Builder(
                new CoapServerProtocolProvider(),
                new CoapsServerProtocolProvider(dtls -> dtls.setConnectionListener(dtlsFailures)
                        .setSessionListener(dtlsFailures).setCertificateVerifier(verifier)
                        .setCipherSuiteSelector(new ServerPreferenceSelector(CIPHER_SUITES))
                        // Saved DTLS state names its connector by this label (by default, its bind address).
                        .setSerializationLabel(DTLS_STATE_LABEL)));

        Configuration coapConfig = endpoints.createDefaultConfiguration();
        coapConfig.set(DtlsConfig.DTLS_CIPHER_SUITES, CIPHER_SUITES);
        // Stateless cookie exchange before any handshake work, so a spoofed source cannot make us compute.
        coapConfig.set(DtlsConfig.DTLS_USE_HELLO_VERIFY_REQUEST, true);
        coapConfig.set(DtlsConfig.DTLS_MAX_CONNECTIONS, config.dtlsMaxConnections());
        coapConfig.set(DtlsConfig.DTLS_MAX_PENDING_HANDSHAKE_RESULT_JOBS, config.dtlsMaxPendingHandshakes());
        // RFC 9146: records carry the session's id, so a device whose NAT gave it a new address keeps its session
        // (Scandium moves the connection to the address of the newest record), and its next Update moves its
        // registration there too (Leshan takes the peer of each Update). Scandium's own default is on (6 bytes):
        // set it either way, so that 0 really turns it off (-1 for Scandium; its 0 means "support, but use none").
        coapConfig.set(DtlsConfig.DTLS_CONNECTION_ID_LENGTH, config.dtlsCidLength() > 0 ? config.dtlsCidLength() : -1);
        // The largest body Californium reassembles: device answers to our reads (a request's own limit, by resource,
        // is set by UplinkBodyLimits). Firmware only leaves the server, and what is sent is not bounded by this.
        coapConfig.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, DEVICE_ANSWER_MAX_BYTES);
        // Blocks of 1,024 bytes (the largest CoAP allows; Californium's default is 512) when a device leaves the size
        // to us: a firmware download is one round trip per block, so this halves it (measured by bench
        // firmware-campaign). A device that wants smaller blocks asks in its first request, and gets them.
        coapConfig.set(CoapConfig.PREFERRED_BLOCK_SIZE, BLOCK_SIZE);
        // Duplicate detection keeps every received message for EXCHANGE_LIFETIME (247 s): at 10,000 notifications/s
        // that is gigabytes of heap (measured by bench steady-reporting). Keep only each peer's latest messages
        // instead, enough for the retransmissions of a device's few exchanges in flight.
        coapConfig.set(CoapConfig.DEDUPLICATOR, CoapConfig.DEDUPLICATOR_PEERS_MARK_AND_SWEEP);
        coapConfig.set(CoapConfig.PEERS_MARK_AND_SWEEP_MESSAGES, PEER_DEDUPLICATION_MESSAGES);
        // The kernel's default socket buffer (208 KiB) overflows under a fleet's bursts: the datagrams it drops come
        // back as retransmissions seconds later (measured by bench steady-reporting, /proc/net/snmp RcvbufErrors).
        coapConfig.set(DtlsConfig.DTLS_RECEIVE_BUFFER_SIZE, config.udpReceiveBuffer());
        coapConfig.set(org.eclipse.californium.elements.config.UdpConfig.UDP_RECEIVE_BUFFER_SIZE,
                config.udpReceiveBuffer());
        endpoints.setConfiguration(coapConfig);
        endpoints.addEndpoint(new InetSocketAddress(config.coapBindAddress(), config.coapPort()), Protocol.COAP);
        endpoints.addEndpoint(new InetSocketAddress(config.coapsBindAddress(), config.coapsPort()), Protocol.COAPS);

        LeshanServerBuilder builder = new LeshanServerBuilder();
        builder.setEndpointsProviders(endpoints.build());
        // The announced version of each object, or the nearest one the server has (marked assumed on the device).
        builder.setObjectModelProvider(new NearestVersionModelProvider(new ModelCatalogue(models)));
        // Quoted versions from LwM2M 1.0 devices (ver="1.1"), see QuotedVersions; errors that do not echo the payload.
        builder.setLinkParser(new QuietLinkParser());
        // Registrations and observations survive a restart (PersistentRegistrationStore).
        builder.setRegistrationStore(registrations);
        builder.setSecurityStore(securityStore);
        builder.setAuthorizer(authorizer);
        builder.setClientAwakeTimeProvider(new StaticClientAwakeTimeProvider((int) config.queueAwakeTime().toMillis()));
        builder.setPrivateKey(identity.privateKey());
        builder.setCertificateChain(identity.certificateChain());
        LeshanServer server = builder.build();
        CaliforniumServerEndpoint coaps = (CaliforniumServerEndpoint) server.getEndpoint(Protocol.COAPS);
        ((DTLSConnector) coaps.getCoapEndpoint().getConnector()).setAlertHandler(dtlsFailures);
        coaps.getCoapEndpoint().addInterceptor(QuotedVersions.UNQUOTE_LWM2M_QUERY);
        ((CaliforniumServerEndpoint) server.getEndpoint(Protocol.COAP)).getCoapEndpoint()
                .addInterceptor(QuotedVersions.UNQUOTE_LWM2M_QUERY);
        return server;
    }

    /**
     * Puts {@link RegistrationGuard} in front of Leshan's {@code /rd} and {@link UplinkBodyLimits} on every endpoint:
     * malformed Register/Update parameters answer 4.00 (counted, logged once), bodies are bounded by resource.
     */
    public static void guardUplinks(LeshanServer server, io.micrometer.core.instrument.MeterRegistry meters,
            java.time.Clock clock) {
        RegistrationGuard.install(server, new QuietLinkParser(), meters, clock);
    }
}
