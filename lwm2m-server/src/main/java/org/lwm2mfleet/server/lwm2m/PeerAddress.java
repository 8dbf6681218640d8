package org.lwm2mfleet.server.lwm2m;

import org.eclipse.leshan.core.peer.IpPeer;
import org.eclipse.leshan.core.peer.LwM2mPeer;
import org.eclipse.leshan.core.peer.PskIdentity;
import org.eclipse.leshan.core.peer.RpkIdentity;
import org.eclipse.leshan.core.peer.X509Identity;

/** How a peer is shown in logs and in the registry: its address, and how it authenticated. */
final class PeerAddress {

    private PeerAddress() {
    }

    static String of(LwM2mPeer peer) {
        if (peer instanceof IpPeer ip) {
            return ip.getSocketAddress().getAddress().getHostAddress() + ":" + ip.getSocketAddress().getPort();
        }
        return String.valueOf(peer);
    }

    static String securityMode(LwM2mPeer peer) {
        Object identity = peer.getIdentity();
        if (identity instanceof PskIdentity) {
            return "psk";
        }
        if (identity instanceof RpkIdentity) {
            return "rpk";
        }
        if (identity instanceof X509Identity) {
            return "x509";
        }
        return "none";
    }
}
