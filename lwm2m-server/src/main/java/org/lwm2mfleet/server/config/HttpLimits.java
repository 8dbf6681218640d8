package org.lwm2mfleet.server.config;

import java.time.Duration;

/**
 * What one HTTP client may hold of the server: connections, time to send a request body, event streams. These are
 * the overload limits of docs/security.md; slow or greedy clients are cut off at them instead of starving others.
 *
 * @param maxConnections TCP connections (HTTP or HTTPS, handshaking or not) open at once, from everyone
 * @param maxConnectionsPerAddress TCP connections open at once from one remote IP address; more are closed as
 *        soon as they are accepted
 * @param minRequestDataRate bytes per second below which a request body is given up (408)
 * @param requestReadTimeout the longest a REST request body may take to arrive, however steadily (408)
 * @param idleTimeout how long a connection may stay silent in either direction before it is closed
 * @param maxEventStreamsPerUser concurrent {@code /api/v1/events} streams one user may hold (429 beyond)
 * @param eventStreamQueue events waiting for one stream's client; a client that lets it fill is disconnected
 */
public record HttpLimits(int maxConnections, int maxConnectionsPerAddress, long minRequestDataRate,
        Duration requestReadTimeout, Duration idleTimeout, int maxEventStreamsPerUser, int eventStreamQueue) {

    public HttpLimits {
        if (maxConnections < 10) {
            throw new InvalidConfigException("http-max-connections", "must be at least 10");
        }
        if (maxConnectionsPerAddress < 1 || maxConnectionsPerAddress > maxConnections) {
            throw new InvalidConfigException("http-max-connections-per-address",
                    "must be between 1 and http-max-connections (" + maxConnections + ")");
        }
        if (minRequestDataRate < 0) {
            throw new InvalidConfigException("http-min-request-rate", "must be zero (no check) or more");
        }
        if (requestReadTimeout == null || requestReadTimeout.toMillis() < 100) {
            throw new InvalidConfigException("http-read-timeout", "must be at least 100 ms");
        }
        if (idleTimeout == null || idleTimeout.toMillis() < 100) {
            throw new InvalidConfigException("http-idle-timeout", "must be at least 100 ms");
        }
        if (maxEventStreamsPerUser < 1) {
            throw new InvalidConfigException("max-event-streams-per-user", "must be at least 1");
        }
        if (eventStreamQueue < 10) {
            throw new InvalidConfigException("event-stream-queue", "must be at least 10");
        }
    }

    /** The command line's defaults. */
    public static HttpLimits defaults() {
        return new HttpLimits(10_000, 64, 256, Duration.ofSeconds(30), Duration.ofSeconds(30), 8, 10_000);
    }

    public HttpLimits withMaxConnectionsPerAddress(int max) {
        return new HttpLimits(maxConnections, max, minRequestDataRate, requestReadTimeout, idleTimeout,
                maxEventStreamsPerUser, eventStreamQueue);
    }

    public HttpLimits withRequestReadTimeout(Duration timeout) {
        return new HttpLimits(maxConnections, maxConnectionsPerAddress, minRequestDataRate, timeout, idleTimeout,
                maxEventStreamsPerUser, eventStreamQueue);
    }

    public HttpLimits withEventStreams(int perUser, int queue) {
        return new HttpLimits(maxConnections, maxConnectionsPerAddress, minRequestDataRate, requestReadTimeout,
                idleTimeout, perUser, queue);
    }
}
