package org.lwm2mfleet.server.firmware;

import java.util.Optional;

import org.eclipse.leshan.core.peer.LwM2mIdentity;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationService;
import org.eclipse.leshan.servers.security.SecurityStore;

/**
 * Who may fetch a download link: the device it was issued to, as that device talks to us. A device with DTLS
 * credentials (PSK, RPK, X.509) is served over DTLS only, and only to the identity it registered with; over plain
 * CoAP the link would be served to whoever learnt it, so it is refused. A device provisioned without security has no
 * identity to check: its link is the only secret, as for its registration.
 */
public final class LinkAccess implements DownloadResource.Access {

    private final RegistrationService registrations;
    private final SecurityStore credentials;

    public LinkAccess(RegistrationService registrations, SecurityStore credentials) {
        this.registrations = registrations;
        this.credentials = credentials;
    }

    @Override
    public Optional<DownloadResource.Refusal> check(String endpoint, LwM2mIdentity requester) {
        Registration registration = registrations.getByEndpoint(endpoint);
        LwM2mIdentity registered = registration == null ? null : registration.getClientTransportData().getIdentity();
        if (!requester.isSecure()) {
            // The credentials decide, not only the live registration: a device between two registrations is still
            // a DTLS device, and its link must not fall open meanwhile.
            boolean dtlsDevice = credentials.getByEndpoint(endpoint) != null
                    || registered != null && registered.isSecure();
            return dtlsDevice ? Optional.of(DownloadResource.Refusal.PLAIN_COAP) : Optional.empty();
        }
        return requester.equals(registered) ? Optional.empty() : Optional.of(DownloadResource.Refusal.OTHER_DEVICE);
    }
}
