package org.lwm2mfleet.sim.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-device NAT: the device sends its datagrams to {@link #insideAddress()}, and they leave towards the server
 * from an outside socket, whose port the server sees; answers come back the same way. {@link #rebind()} replaces the
 * outside socket with one on a new port, as a NAT does when a mapping expires during a device's silence: the device
 * itself notices nothing, the server sees its datagrams arrive from a new address. Only UDP datagrams are forwarded,
 * untouched (the DTLS records and what they carry are the device's and the server's business).
 */
final class NatRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NatRelay.class);
    /** The largest UDP payload: a relay must never cut a datagram. */
    private static final int MAX_DATAGRAM = 65_535;

    private final String name;
    private final InetSocketAddress server;
    private final InetAddress outsideAddress;
    private final DatagramSocket inside;
    private volatile DatagramSocket outside;
    /** Where the device's datagrams come from: where answers go. */
    private volatile SocketAddress device;
    private volatile boolean closed;

    NatRelay(String name, InetSocketAddress server, InetAddress localAddress) {
        this.name = name;
        this.server = server;
        this.outsideAddress = localAddress;
        try {
            this.inside = new DatagramSocket(new InetSocketAddress(localAddress, 0));
            this.outside = new DatagramSocket(new InetSocketAddress(localAddress, 0));
        } catch (IOException e) {
            throw new UncheckedIOException("NAT relay for " + name + " cannot bind", e);
        }
        thread("sim-nat-in-" + name, this::forwardFromDevice).start();
        startReturning(outside);
    }

    /** Where the device sends to, instead of the server. */
    InetSocketAddress insideAddress() {
        return new InetSocketAddress(inside.getLocalAddress(), inside.getLocalPort());
    }

    /** The port the server sees the device's datagrams come from. */
    int outsidePort() {
        return outside.getLocalPort();
    }

    /** A new outside port (the old one is closed): the server sees the device move. */
    synchronized int rebind() {
        DatagramSocket old = outside;
        try {
            outside = new DatagramSocket(new InetSocketAddress(outsideAddress, 0));
        } catch (IOException e) {
            throw new UncheckedIOException("NAT relay for " + name + " cannot rebind", e);
        }
        startReturning(outside);
        old.close();
        LOG.debug("{}: NAT mapping moved from port {} to {}", name, old.getLocalPort(), outside.getLocalPort());
        return outside.getLocalPort();
    }

    private void forwardFromDevice() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                inside.receive(packet);
                device = packet.getSocketAddress();
                outside.send(new DatagramPacket(packet.getData(), packet.getOffset(), packet.getLength(), server));
            } catch (IOException e) {
                // A send racing a rebind finds the old socket closed: the datagram is lost, as on a real NAT, and
                // the device's retransmission takes the new one.
                if (!closed && inside.isClosed()) {
                    return;
                }
            }
        }
    }

    private void startReturning(DatagramSocket socket) {
        thread("sim-nat-out-" + name, () -> {
            byte[] buffer = new byte[MAX_DATAGRAM];
            while (!socket.isClosed()) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                    SocketAddress to = device;
                    if (to != null) {
                        inside.send(new DatagramPacket(packet.getData(), packet.getOffset(), packet.getLength(), to));
                    }
                } catch (IOException e) {
                    // closed by a rebind or close: this mapping is over
                }
            }
        }).start();
    }

    private static Thread thread(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    @Override
    public void close() {
        closed = true;
        inside.close();
        outside.close();
    }
}
