package org.lwm2mfleet.server.firmware;

import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Function;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.leshan.core.peer.LwM2mIdentity;
import org.eclipse.leshan.transport.californium.identity.DefaultCoapsIdentityHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CoAP(S) resource {@code /fw/{token}} devices download images from (Package URI pull). The token is issued for
 * one device's update, so a URI serves one device's image only. Californium answers block by block (Block2), any
 * block on request, so an interrupted download resumes where it stopped.
 */
public final class DownloadResource extends CoapResource {

    private static final Logger LOG = LoggerFactory.getLogger(DownloadResource.class);

    /** What a token gives: the device it was issued for and the image. */
    public record Grant(String endpoint, byte[] image) {
    }

    private static final DefaultCoapsIdentityHandler IDENTITIES = new DefaultCoapsIdentityHandler();

    private final Function<String, Optional<Grant>> grantForToken;
    private final BiPredicate<String, LwM2mIdentity> isIdentityOf;

    /**
     * @param grantForToken the grant of a valid token, or empty
     * @param isIdentityOf whether a DTLS identity is the one the endpoint registered with
     */
    public DownloadResource(Function<String, Optional<Grant>> grantForToken,
            BiPredicate<String, LwM2mIdentity> isIdentityOf) {
        super("fw");
        this.grantForToken = grantForToken;
        this.isIdentityOf = isIdentityOf;
    }

    /** Every {@code /fw/<token>} is handled here. */
    @Override
    public Resource getChild(String name) {
        return this;
    }

    @Override
    public void handleGET(CoapExchange exchange) {
        String[] path = exchange.getRequestOptions().getUriPathString().split("/");
        String token = path.length == 2 ? path[1] : "";
        Optional<Grant> grant = grantForToken.apply(token);
        if (grant.isEmpty()) {
            LOG.warn("firmware download refused peer={} reason=unknown or finished token",
                    exchange.getSourceSocketAddress());
            exchange.respond(ResponseCode.NOT_FOUND);
            return;
        }
        // Over DTLS, the link works only for the device it was issued to, whoever else learns it.
        boolean secure = exchange.advanced().getRequest().getSourceContext().getPeerIdentity() != null;
        if (secure && !isIdentityOf.test(grant.get().endpoint(),
                IDENTITIES.getIdentity(exchange.advanced().getRequest()).getIdentity())) {
            LOG.warn("firmware download refused peer={} reason=link issued to another device ({})",
                    exchange.getSourceSocketAddress(), grant.get().endpoint());
            exchange.respond(ResponseCode.FORBIDDEN);
            return;
        }
        exchange.respond(ResponseCode.CONTENT, grant.get().image(), MediaTypeRegistry.APPLICATION_OCTET_STREAM);
    }
}
