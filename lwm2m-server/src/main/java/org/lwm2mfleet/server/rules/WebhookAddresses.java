package org.lwm2mfleet.server.rules;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

import org.lwm2mfleet.server.error.FleetException;

/**
 * Which addresses a rule's webhook may reach. Whoever may save a rule could otherwise make the server POST to
 * itself, to the machines beside it or to a cloud metadata service; so, unless the operator allows it
 * ({@code --webhook-allow-private}), a webhook host must resolve only to public unicast addresses. The check runs
 * when a rule is saved, and again at every delivery, whose connection goes to the addresses that check returned
 * (DNS may answer differently from one minute to the next).
 */
public final class WebhookAddresses {

    /** What the option to allow private addresses is called, for messages that tell how to allow them. */
    static final String OPTION = "--webhook-allow-private";

    private final boolean allowPrivate;

    /** @param allowPrivate whether loopback, private, link-local and multicast addresses may be called */
    public WebhookAddresses(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /** A host that resolves to no address, or to one that is not allowed. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The addresses {@code host} resolves to, each of them allowed.
     *
     * @throws UnknownHostException when it does not resolve (perhaps for a moment: a delivery tries again)
     * @throws Refused when any of its addresses is not allowed: a name with one internal address among public
     *         ones could be answered with that one alone later
     */
    List<InetAddress> resolve(String host) throws UnknownHostException, Refused {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses = InetAddress.getAllByName(bare);
        if (!allowPrivate) {
            for (InetAddress address : addresses) {
                String kind = forbidden(address);
                if (kind != null) {
                    throw new Refused("host '" + host + "' resolves to " + address.getHostAddress() + ", a " + kind
                            + " address; webhooks may only call public addresses unless the server runs with "
                            + OPTION);
                }
            }
        }
        return Arrays.asList(addresses);
    }

    /** At save: every webhook of the rule must reach allowed addresses now; a refusal names the action's url. */
    void check(Rule rule) {
        if (allowPrivate) {
            return; // nothing to refuse: the name need not even resolve yet
        }
        for (int i = 0; i < rule.actions().size(); i++) {
            if (rule.actions().get(i) instanceof Rule.CallWebhook webhook) {
                try {
                    resolve(webhook.url().getHost());
                } catch (Refused e) {
                    throw FleetException.invalid("actions[" + i + "].url", e.getMessage());
                } catch (UnknownHostException e) {
                    throw FleetException.invalid("actions[" + i + "].url", "host '" + webhook.url().getHost()
                            + "' does not resolve, so its addresses cannot be checked");
                }
            }
        }
    }

    /** The kind of address that is not allowed, or null for a public unicast one. */
    static String forbidden(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            InetAddress embedded = embeddedIpv4(b);
            if (embedded != null) {
                String kind = forbidden(embedded);
                return kind == null ? null : kind + " (IPv4 inside IPv6)";
            }
            if ((b[0] & 0xfe) == 0xfc) {
                return "unique local (fc00::/7)";
            }
        }
        if (address.isAnyLocalAddress()) {
            return "wildcard";
        }
        if (address.isLoopbackAddress()) {
            return "loopback";
        }
        if (address.isLinkLocalAddress()) {
            return "link-local";
        }
        if (address.isSiteLocalAddress()) {
            return "private";
        }
        if (address.isMulticastAddress()) {
            return "multicast";
        }
        if (address instanceof Inet4Address) {
            byte[] b = address.getAddress();
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 0) {
                return "this-network (0.0.0.0/8)"; // Linux connects 0.x.x.x to the machine itself
            }
            if (first == 100 && (second & 0xc0) == 64) {
                return "shared (100.64.0.0/10, carrier NAT)";
            }
            if (first == 255 && second == 255 && (b[2] & b[3] & 0xff) == 0xff) {
                return "broadcast";
            }
            if (first == 198 && (second & 0xfe) == 18) {
                return "benchmarking (198.18.0.0/15)";
            }
        }
        return null;
    }

    /**
     * The IPv4 address inside an IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible ({@code ::a.b.c.d}) or NAT64
     * ({@code 64:ff9b::a.b.c.d}) IPv6 address, or null. The JDK turns most mapped forms into IPv4 itself; not all.
     */
    private static InetAddress embeddedIpv4(byte[] b) {
        boolean zeroPrefix = true;
        for (int i = 0; i < 10; i++) {
            zeroPrefix &= b[i] == 0;
        }
        boolean mapped = zeroPrefix && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = zeroPrefix && b[10] == 0 && b[11] == 0
                && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)); // not :: nor ::1
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        if (!mapped && !compatible && !nat64) {
            return null;
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }
}
