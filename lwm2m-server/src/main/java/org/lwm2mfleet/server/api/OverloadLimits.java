package org.lwm2mfleet.server.api;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.lwm2mfleet.server.config.HttpLimits;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Jetty's own defences against slow and greedy clients, set up in one place (docs/security.md, overload limits):
 * a cap on all connections ({@link NetworkConnectionLimit}, counted from the accept, so TLS handshakes count too),
 * a cap per remote address ({@link PerAddressConnectionLimit}), the connectors' idle timeout, a minimum request
 * body rate ({@link MinimumDataRateHandler}; writes are not checked, an event stream writes a line per 15 s), and
 * errors Jetty answers itself as problem+json ({@link ProblemErrorHandler}). The body read deadline is
 * {@link ApiHandler}'s.
 */
public final class OverloadLimits {

    private OverloadLimits() {
    }

    /** Puts the limits on the server and its connector, and {@code handler}, guarded, as the server's handler. */
    public static PerAddressConnectionLimit install(Server server, ServerConnector connector, Handler handler,
            HttpLimits limits, MeterRegistry meters) {
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        NetworkConnectionLimit total = new NetworkConnectionLimit(limits.maxConnections(), connector);
        server.addBean(total);
        PerAddressConnectionLimit perAddress = new PerAddressConnectionLimit(limits.maxConnectionsPerAddress(),
                meters);
        connector.addBean(perAddress);
        Gauge.builder("http.connections", total, NetworkConnectionLimit::getNetworkConnectionCount)
                .description("HTTP connections open now").register(meters);
        server.setHandler(limits.minRequestDataRate() > 0
                ? new MinimumDataRateHandler(handler, limits.minRequestDataRate(), 0) : handler);
        server.setErrorHandler(new ProblemErrorHandler());
        return perAddress;
    }
}
