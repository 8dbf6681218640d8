package org.lwm2mfleet.server.lwm2m;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;

import org.eclipse.californium.scandium.AlertHandler;
import org.eclipse.californium.scandium.ConnectionListener;
import org.eclipse.californium.scandium.dtls.AlertMessage;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertDescription;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertLevel;
import org.eclipse.californium.scandium.dtls.Connection;
import org.eclipse.californium.scandium.dtls.DTLSContext;
import org.eclipse.californium.scandium.dtls.HandshakeException;
import org.eclipse.californium.scandium.dtls.Handshaker;
import org.eclipse.californium.scandium.dtls.SessionListener;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuiteParameters.CertificateBasedMismatch;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuiteParameters.GeneralMismatch;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Logs each refused DTLS handshake once (peer address and reason, never key material), counts it
 * ({@code lwm2m_dtls_handshake_failures_total{reason}}) and publishes it. Scandium answers both an unknown PSK
 * identity and a wrong PSK with silence, so that identities cannot be probed; it still tells us: the first as an
 * alert, the second as a MAC error on the handshake's Finished message. Every other refusal, ours (no common cipher
 * suite or curve) or the device's (a fatal alert: it rejected our certificate or key), ends the handshake and comes
 * through {@link #handshakeFailed}, which has the peer's address: the alert handler gets none then, because Scandium
 * removes the connection first. Nothing here may throw into Scandium (a throwing listener would skip Scandium's own
 * clean-up of the handshake), so each callback catches everything.
 */
public final class DtlsFailureListener implements AlertHandler, ConnectionListener, SessionListener {

    private static final Logger LOG = LoggerFactory.getLogger(DtlsFailureListener.class);
    /** Scandium's message for a fatal alert the device sent (DTLSConnector.processAlertRecord). */
    private static final String RECEIVED_FATAL_ALERT = "Received 'fatal alert/";
    /** Scandium's message when no suite the device offers is one of ours (ServerHandshaker.receivedClientHello). */
    private static final String NO_COMMON_CIPHER_SUITE = "Client does not propose a common cipher suite";

    private final MeterRegistry meters;
    private final EventBus events;

    /** Told which device each established session belongs to; null when nobody asks (see the 4-argument form). */
    private final FleetSecurityStore securityStore;
    private final org.lwm2mfleet.server.device.DeviceSessions sessions;

    public DtlsFailureListener(MeterRegistry meters, EventBus events) {
        this(meters, events, null, null);
    }

    /** Also records, per device, whether its session came from a full handshake or a resumption. */
    public DtlsFailureListener(MeterRegistry meters, EventBus events, FleetSecurityStore securityStore,
            org.lwm2mfleet.server.device.DeviceSessions sessions) {
        this.meters = meters;
        this.events = events;
        this.securityStore = securityStore;
        this.sessions = sessions;
    }

    /**
     * An exception for a refusal that was already logged, counted and published where it was decided (a certificate
     * our {@link PinningCertificateVerifier} refused, which knows the endpoint): {@link #handshakeFailed} skips it.
     */
    static final class ReportedRefusal extends HandshakeException {
        private static final long serialVersionUID = 1L;

        ReportedRefusal(String message, AlertMessage alert, Throwable cause) {
            super(message, alert, cause);
        }
    }

    @Override
    public void onAlert(InetSocketAddress peer, AlertMessage alert) {
        try {
            // Only the unknown PSK identity is reported here: Scandium ignores that message and the handshake goes
            // on (to a time-out), so handshakeFailed never names it. Other fatal alerts end the handshake and are
            // reported there; close_notify is the normal end of a session.
            if (peer != null && alert.getDescription() == AlertDescription.UNKNOWN_PSK_IDENTITY) {
                refused(peer, alert.getDescription().getDescription());
            }
        } catch (RuntimeException e) {
            LOG.warn("DTLS alert from {} not reported: {}", peer, e.toString());
        }
    }

    @Override
    public void handshakeFailed(Handshaker handshaker, Throwable error) {
        try {
            // Time-outs, evictions and replaced handshakes are no refusal; nor is a warning (close_notify).
            if (!(error instanceof HandshakeException failure) || error instanceof ReportedRefusal
                    || failure.getAlert() == null || failure.getAlert().getLevel() != AlertLevel.FATAL
                    || failure.getAlert().getDescription() == AlertDescription.UNKNOWN_PSK_IDENTITY) {
                return;
            }
            String alert = failure.getAlert().getDescription().getDescription();
            String message = String.valueOf(failure.getMessage());
            if (message.startsWith(RECEIVED_FATAL_ALERT)) {
                refused(handshaker.getPeerAddress(), null, "device_" + alert,
                        "the device ended the handshake with a fatal " + alert + " alert"
                                + (alert.contains("certificate") || alert.equals("unknown_ca")
                                        ? " (it does not accept the server's certificate or key)" : ""));
            } else {
                refused(handshaker.getPeerAddress(), null, localReason(message, alert), message);
            }
        } catch (RuntimeException e) {
            LOG.warn("failed DTLS handshake not reported: {}", e.toString());
        }
    }

    /**
     * A bounded reason for a refusal of ours: Scandium's negotiation mismatches by name ({@code no_common_ec_groups},
     * {@code no_common_certificate_ec_groups} ...), else the alert sent.
     */
    private static String localReason(String message, String alert) {
        if (message.equals(NO_COMMON_CIPHER_SUITE)) {
            return "no_common_cipher_suite";
        }
        for (GeneralMismatch mismatch : GeneralMismatch.values()) {
            if (message.equals(mismatch.getMessage())) {
                return "no_common_" + mismatch.name().toLowerCase(Locale.ROOT);
            }
        }
        for (CertificateBasedMismatch mismatch : CertificateBasedMismatch.values()) {
            if (message.equals(mismatch.getMessage())) {
                return "no_common_" + mismatch.name().toLowerCase(Locale.ROOT);
            }
        }
        return alert;
    }

    @Override
    public boolean onConnectionMacError(Connection connection) {
        try {
            Handshaker handshaker = connection.getOngoingHandshake();
            DTLSContext context = handshaker == null ? null : handshaker.getDtlsContext();
            // The client retransmits its Finished; report only the first failure of the handshake.
            if (context != null && context.getMacErrors() == 1 && context.getSession().getCipherSuite() != null
                    && context.getSession().getCipherSuite().isPskBased()) {
                refused(handshaker.getPeerAddress(), "wrong_psk");
            }
        } catch (RuntimeException e) {
            LOG.warn("DTLS MAC error not reported: {}", e.toString());
        }
        return false;
    }

    private void refused(InetSocketAddress peer, String reason) {
        refused(peer, null, reason, reason);
    }

    /**
     * A refused handshake: counted under {@code reason}, logged and published with the endpoint, when known (a device
     * certificate we refused ourselves names it by its CN), and the {@code detail} in words.
     */
    void refused(InetSocketAddress peer, String endpoint, String reason, String detail) {
        String address = peer == null ? "unknown"
                : (peer.getAddress() == null ? peer.getHostString() : peer.getAddress().getHostAddress()) + ":"
                        + peer.getPort();
        meters.counter("lwm2m.dtls.handshake.failures", "reason", reason).increment();
        if (endpoint == null && reason.equals(detail)) {
            LOG.warn("DTLS handshake refused peer={} reason={}", address, reason);
        } else if (endpoint == null) {
            LOG.warn("DTLS handshake refused peer={} reason={} detail={}", address, reason, detail);
        } else {
            LOG.warn("DTLS handshake refused endpoint={} peer={} reason={} detail={}", endpoint, address, reason,
                    detail);
        }
        events.publish(EventTypes.AUTHENTICATION_FAILED, endpoint,
                Map.of("peer", address, "reason", detail, "request", "dtls-handshake"));
    }

    @Override
    public void handshakeStarted(Handshaker handshaker) {
    }

    /**
     * Counts established sessions, {@code lwm2m_dtls_handshakes_total{kind=full|resumption}}: what a restart or a
     * network change cost the fleet (with saved state and Connection ID, nothing).
     */
    @Override
    public void contextEstablished(Handshaker handshaker, DTLSContext establishedContext) {
        try {
            // Not the handshaker's class: a resuming handshaker whose session is unknown (after a crash, or too old)
            // goes on as a full handshake, and says so.
            boolean resumption = !handshaker.isFullHandshake();
            meters.counter("lwm2m.dtls.handshakes", "kind", resumption ? "resumption" : "full").increment();
            if (sessions != null) {
                sessions.established(securityStore.endpointOf(establishedContext.getSession().getPeerIdentity()),
                        resumption);
            }
        } catch (RuntimeException e) {
            LOG.warn("DTLS handshake not counted: {}", e.toString());
        }
    }

    @Override
    public void handshakeCompleted(Handshaker handshaker) {
    }

    @Override
    public void handshakeFlightRetransmitted(Handshaker handshaker, int flight) {
    }

    @Override
    public void onConnectionEstablished(Connection connection) {
    }

    @Override
    public void onConnectionRemoved(Connection connection) {
    }

    @Override
    public boolean onConnectionUpdatesSequenceNumbers(Connection connection, boolean writeSequenceNumber) {
        return false;
    }

    @Override
    public void beforeExecution(Connection connection) {
    }

    @Override
    public void updateExecution(Connection connection) {
    }

    @Override
    public void afterExecution(Connection connection) {
    }
}
