package org.lwm2mfleet.server.lwm2m;

import java.util.Map;

import org.eclipse.californium.scandium.dtls.DTLSContext;
import org.eclipse.californium.scandium.dtls.Handshaker;
import org.eclipse.californium.scandium.dtls.SessionListener;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Logs each failed DTLS handshake once (peer address and reason, never key material), counts it and publishes it.
 * A device with an unknown PSK identity or a wrong key ends here, before any LwM2M request is read.
 */
public final class HandshakeFailureListener implements SessionListener {

    private static final Logger LOG = LoggerFactory.getLogger(HandshakeFailureListener.class);

    private final Counter failures;
    private final EventBus events;

    public HandshakeFailureListener(MeterRegistry meters, EventBus events) {
        this.failures = meters.counter("lwm2m.dtls.handshake.failures");
        this.events = events;
    }

    @Override
    public void handshakeFailed(Handshaker handshaker, Throwable error) {
        String peer = String.valueOf(handshaker.getPeerAddress());
        String reason = error == null ? "unknown" : error.getMessage();
        failures.increment();
        LOG.warn("DTLS handshake failed peer={} reason={}", peer, reason);
        events.publish(EventTypes.AUTHENTICATION_FAILED, null, Map.of("peer", peer, "reason", String.valueOf(reason),
                "request", "dtls-handshake"));
    }

    @Override
    public void handshakeStarted(Handshaker handshaker) {
    }

    @Override
    public void contextEstablished(Handshaker handshaker, DTLSContext establishedContext) {
    }

    @Override
    public void handshakeCompleted(Handshaker handshaker) {
    }

    @Override
    public void handshakeFlightRetransmitted(Handshaker handshaker, int flight) {
    }
}
