package org.lwm2mfleet.server.lwm2m;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.leshan.core.peer.OscoreIdentity;
import org.eclipse.leshan.servers.security.EditableSecurityStore;
import org.eclipse.leshan.servers.security.SecurityInfo;
import org.eclipse.leshan.servers.security.SecurityStoreListener;
import org.lwm2mfleet.server.device.Credentials;
import org.lwm2mfleet.server.device.CredentialsListener;
import org.lwm2mfleet.server.device.DeviceCertificate;

/**
 * Leshan's view of device credentials, held in memory so that a DTLS handshake never waits on SQL. Filled from the
 * registry at start and kept current by the registry's {@link CredentialsListener} calls; the database stays the
 * truth. When credentials change or a device is deleted, Leshan's listeners are told the old ones are compromised,
 * which closes the device's DTLS connections.
 */
public final class FleetSecurityStore implements EditableSecurityStore, CredentialsListener {

    private final Map<String, SecurityInfo> byEndpoint = new ConcurrentHashMap<>();
    private final Map<String, SecurityInfo> byPskIdentity = new ConcurrentHashMap<>();
    /** RPK endpoints by their key's encoded form, to name the device of an established DTLS session. */
    private final Map<String, String> byPublicKey = new ConcurrentHashMap<>();
    /** Endpoints provisioned for plain CoAP: Leshan has no SecurityInfo for "no security". */
    private final Set<String> noSecurity = ConcurrentHashMap.newKeySet();
    /** Certificates pinned for X.509 endpoints: Leshan's SecurityInfo has no room for one. */
    private final Map<String, DeviceCertificate> pinned = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<SecurityStoreListener> listeners = new CopyOnWriteArrayList<>();

    public void loadAll(Map<String, Credentials> credentials) {
        credentials.forEach(this::put);
    }

    /** True if the endpoint was provisioned to register over plain CoAP. */
    public boolean isProvisionedWithoutSecurity(String endpoint) {
        return noSecurity.contains(endpoint);
    }

    /** True if the endpoint has any credentials at all, secure or not. */
    public boolean isKnown(String endpoint) {
        return noSecurity.contains(endpoint) || byEndpoint.containsKey(endpoint);
    }

    /** The certificate the endpoint must present, or null when any of a trusted CA with its CN will do. */
    public DeviceCertificate pinnedCertificate(String endpoint) {
        return pinned.get(endpoint);
    }

    @Override
    public void credentialsChanged(String endpoint, Credentials credentials) {
        SecurityInfo previous = removeQuietly(endpoint);
        if (credentials != null) {
            put(endpoint, credentials);
        } else {
            pinned.remove(endpoint);
        }
        if (previous != null) {
            for (SecurityStoreListener listener : listeners) {
                listener.securityInfoRemoved(true, previous);
            }
        }
    }

    /**
     * The endpoint a DTLS peer identity belongs to: by PSK identity or raw public key through the provisioned
     * credentials, by certificate CN (which is the endpoint, see PinningCertificateVerifier); null when unknown.
     */
    public String endpointOf(java.security.Principal identity) {
        if (identity instanceof org.eclipse.californium.elements.auth.PreSharedKeyIdentity psk) {
            SecurityInfo info = byPskIdentity.get(psk.getIdentity());
            return info == null ? null : info.getEndpoint();
        }
        if (identity instanceof org.eclipse.californium.elements.auth.RawPublicKeyIdentity rpk) {
            return byPublicKey.get(keyOf(rpk.getKey()));
        }
        if (identity instanceof org.eclipse.californium.elements.auth.X509CertPath x509) {
            return x509.getCN();
        }
        return null;
    }

    private static String keyOf(java.security.PublicKey key) {
        return java.util.Base64.getEncoder().encodeToString(key.getEncoded());
    }

    @Override
    public SecurityInfo getByEndpoint(String endpoint) {
        return byEndpoint.get(endpoint);
    }

    @Override
    public SecurityInfo getByIdentity(String pskIdentity) {
        return byPskIdentity.get(pskIdentity);
    }

    @Override
    public SecurityInfo getByOscoreIdentity(OscoreIdentity oscoreIdentity) {
        return null;
    }

    @Override
    public Collection<SecurityInfo> getAll() {
        return new ArrayList<>(byEndpoint.values());
    }

    /** Credentials come from the registry's REST API, never from Leshan: this is not a way in. */
    @Override
    public SecurityInfo add(SecurityInfo info) {
        throw new UnsupportedOperationException("provision devices through the device registry");
    }

    @Override
    public SecurityInfo remove(String endpoint, boolean infosAreCompromised) {
        throw new UnsupportedOperationException("delete devices through the device registry");
    }

    @Override
    public void addListener(SecurityStoreListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(SecurityStoreListener listener) {
        listeners.remove(listener);
    }

    private void put(String endpoint, Credentials credentials) {
        // Replaced, never absent in between: a handshake at that moment must not find the endpoint unpinned.
        if (credentials instanceof Credentials.X509 x509 && x509.pinned()) {
            pinned.put(endpoint, x509.certificate());
        } else {
            pinned.remove(endpoint);
        }
        SecurityInfo info = toSecurityInfo(endpoint, credentials);
        if (info == null) {
            noSecurity.add(endpoint);
            return;
        }
        byEndpoint.put(endpoint, info);
        if (info.usePSK()) {
            byPskIdentity.put(info.getPskIdentity(), info);
        }
        if (info.useRPK()) {
            byPublicKey.put(keyOf(info.getRawPublicKey()), endpoint);
        }
    }

    private SecurityInfo removeQuietly(String endpoint) {
        noSecurity.remove(endpoint);
        SecurityInfo previous = byEndpoint.remove(endpoint);
        if (previous != null && previous.usePSK()) {
            byPskIdentity.remove(previous.getPskIdentity(), previous);
        }
        if (previous != null && previous.useRPK()) {
            byPublicKey.remove(keyOf(previous.getRawPublicKey()), endpoint);
        }
        return previous;
    }

    private static SecurityInfo toSecurityInfo(String endpoint, Credentials credentials) {
        if (credentials instanceof Credentials.Psk psk) {
            return SecurityInfo.newPreSharedKeyInfo(endpoint, psk.identity(), psk.key());
        }
        if (credentials instanceof Credentials.Rpk rpk) {
            return SecurityInfo.newRawPublicKeyInfo(endpoint, rpk.publicKey());
        }
        if (credentials instanceof Credentials.X509) {
            return SecurityInfo.newX509CertInfo(endpoint);
        }
        return null;
    }
}
