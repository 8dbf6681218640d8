package org.lwm2mfleet.server.lwm2m;

import java.net.InetSocketAddress;
import java.util.Map;

import org.eclipse.californium.scandium.AlertHandler;
import org.eclipse.californium.scandium.ConnectionListener;
import org.eclipse.californium.scandium.dtls.AlertMessage;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertLevel;
import org.eclipse.californium.scandium.dtls.Connection;
import org.eclipse.californium.scandium.dtls.DTLSContext;
import org.eclipse.californium.scandium.dtls.Handshaker;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Logs each refused DTLS handshake once (peer address and reason, never key material), counts it
 * ({@code lwm2m_dtls_handshake_failures_total{reason}}) and publishes it. Scandium answers both an unknown PSK
 * identity and a wrong PSK with silence, so that identities cannot be probed; it still tells us: the first as an
 * alert, the second as a MAC error on the handshake's Finished message.
 */
public final class DtlsFailureListener implements AlertHandler, ConnectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(DtlsFailureListener.class);

    private final MeterRegistry meters;
    private final EventBus events;

    public DtlsFailureListener(MeterRegistry meters, EventBus events) {
        this.meters = meters;
        this.events = events;
    }

    @Override
    public void onAlert(InetSocketAddress peer, AlertMessage alert) {
        // Warnings (close_notify) are the normal end of a session; Scandium reports only a connection's first alert.
        if (alert.getLevel() == AlertLevel.FATAL) {
            refused(peer, alert.getDescription().getDescription());
        }
    }

    @Override
    public boolean onConnectionMacError(Connection connection) {
        Handshaker handshaker = connection.getOngoingHandshake();
        DTLSContext context = handshaker == null ? null : handshaker.getDtlsContext();
        // The client retransmits its Finished; report only the first failure of the handshake.
        if (context != null && context.getMacErrors() == 1 && context.getSession().getCipherSuite() != null
                && context.getSession().getCipherSuite().isPskBased()) {
            refused(connection.getPeerAddress(), "wrong_psk");
        }
        return false;
    }

    private void refused(InetSocketAddress peer, String reason) {
        refused(peer, null, reason, reason);
    }

    /**
     * A refused handshake: counted under {@code reason}, logged and published with the endpoint, when known (a device
     * certificate we refused ourselves names it by its CN; Scandium reports no alert for what it sends), and the
     * {@code detail} in words.
     */
    void refused(InetSocketAddress peer, String endpoint, String reason, String detail) {
        String address = peer.getAddress().getHostAddress() + ":" + peer.getPort();
        meters.counter("lwm2m.dtls.handshake.failures", "reason", reason).increment();
        if (endpoint == null) {
            LOG.warn("DTLS handshake refused peer={} reason={}", address, reason);
        } else {
            LOG.warn("DTLS handshake refused endpoint={} peer={} reason={} detail={}", endpoint, address, reason,
                    detail);
        }
        events.publish(EventTypes.AUTHENTICATION_FAILED, endpoint,
                Map.of("peer", address, "reason", detail, "request", "dtls-handshake"));
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
