package org.lwm2mfleet.server.device;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How each device's current DTLS session came to be, for the device view and the overview: a full handshake, an
 * abbreviated one resuming an earlier session, or a session restored from the state saved at the last graceful stop
 * (the device sent on it with no handshake at all). In memory only: after a restart a device's entry comes back with
 * its next traffic (a handshake, or {@code restored} for a saved session). Full handshakes are also counted per
 * minute: a rising count is a reconnect storm coming.
 */
public final class DeviceSessions {

    /** How a session was established. */
    public enum Kind {
        FULL_HANDSHAKE("full-handshake"), RESUMED("resumed"), RESTORED("restored");

        private final String json;

        Kind(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    /** A device's session: how it started and when this server saw that. */
    public record Session(Kind kind, Instant since) {
    }

    private final Clock clock;
    private final Map<String, Session> byEndpoint = new ConcurrentHashMap<>();
    private final MinuteCounts fullHandshakes = new MinuteCounts();

    public DeviceSessions(Clock clock) {
        this.clock = clock;
    }

    /** A DTLS handshake, full or abbreviated, established a session for {@code endpoint} (null when unknown). */
    public void established(String endpoint, boolean resumption) {
        Instant now = clock.instant();
        if (!resumption) {
            fullHandshakes.increment(now);
        }
        if (endpoint != null) {
            byEndpoint.put(endpoint, new Session(resumption ? Kind.RESUMED : Kind.FULL_HANDSHAKE, now));
        }
    }

    /**
     * {@code endpoint} sent over DTLS. With no session seen by this process, no handshake took place since the start:
     * its session is one loaded from the saved state.
     */
    public void securedTraffic(String endpoint) {
        if (!byEndpoint.containsKey(endpoint)) {
            byEndpoint.putIfAbsent(endpoint, new Session(Kind.RESTORED, clock.instant()));
        }
    }

    /** The device's session, or null when it has sent nothing over DTLS since the server started. */
    public Session get(String endpoint) {
        return byEndpoint.get(endpoint);
    }

    /** A deleted device, or one whose credentials changed (its sessions are closed). */
    public void forget(String endpoint) {
        byEndpoint.remove(endpoint);
    }

    /** Full handshakes in the minute starting at {@code minuteStart} (epoch seconds), within the last hour. */
    long fullHandshakes(long minuteStart) {
        return fullHandshakes.get(minuteStart);
    }
}
