package org.lwm2mfleet.server.api;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.Map;

import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.util.IO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Caps the TCP connections one remote IP address holds on a connector. Jetty's {@code NetworkConnectionLimit}
 * caps them all together, which lets one address take every slot; this listener closes a connection from an
 * address that already holds its share as soon as it is accepted (before a TLS handshake or a request line costs
 * anything), the way Jetty's own limits close channels in {@code onAccepting}. Added to the connector as a bean.
 */
public final class PerAddressConnectionLimit implements SelectorManager.AcceptListener {

    private static final Logger LOG = LoggerFactory.getLogger(PerAddressConnectionLimit.class);

    private final int maxPerAddress;
    private final Counter refused;
    /** The address each counted channel was counted under, so that it is released exactly once. */
    private final Map<SelectableChannel, InetAddress> counted = new HashMap<>();
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();

    public PerAddressConnectionLimit(int maxPerAddress, MeterRegistry meters) {
        this.maxPerAddress = maxPerAddress;
        this.refused = Counter.builder("http.connections.refused").tag("reason", "per-address")
                .description("HTTP connections closed at accept because their address held its share")
                .register(meters);
    }

    @Override
    public void onAccepting(SelectableChannel channel) {
        InetAddress address = address(channel);
        if (address == null) {
            return;
        }
        boolean over;
        synchronized (this) {
            int held = perAddress.getOrDefault(address, 0);
            over = held >= maxPerAddress;
            if (!over) {
                perAddress.put(address, held + 1);
                counted.put(channel, address);
            }
        }
        if (over) {
            refused.increment();
            // Once per refusal would let the refused flood the log; debug says who, the counter says how many.
            LOG.debug("HTTP connection from {} refused: it holds {} already", address.getHostAddress(), maxPerAddress);
            IO.close(channel);
        }
    }

    @Override
    public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
        release(channel);
    }

    @Override
    public void onClosed(SelectableChannel channel) {
        release(channel);
    }

    /** Connections counted for an address now: what the tests and the docs' figures look at. */
    public synchronized int connections(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
    }

    private synchronized void release(SelectableChannel channel) {
        InetAddress address = counted.remove(channel);
        if (address != null) {
            perAddress.computeIfPresent(address, (a, held) -> held <= 1 ? null : held - 1);
        }
    }

    private static InetAddress address(SelectableChannel channel) {
        try {
            return channel instanceof SocketChannel socket
                    && socket.getRemoteAddress() instanceof InetSocketAddress remote ? remote.getAddress() : null;
        } catch (IOException e) {
            return null; // already closed: nothing to count
        }
    }
}
