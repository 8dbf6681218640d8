package org.lwm2mfleet.server.firmware;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.eclipse.californium.core.CoapExchange;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.option.BlockOption;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.leshan.core.peer.LwM2mIdentity;
import org.eclipse.leshan.transport.californium.identity.DefaultCoapIdentityHandler;
import org.eclipse.leshan.transport.californium.identity.DefaultCoapsIdentityHandler;
import org.lwm2mfleet.server.events.EventBus;
import org.lwm2mfleet.server.events.EventTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * The CoAP(S) resource {@code /fw/{token}} devices download images from (Package URI pull). The token is issued for
 * one device's update, so a URI serves one device's image only, and {@link Access} says to whom. Each request is
 * answered with one block (Block2) read from the image's file at its offset: the token and the requester are
 * checked before any byte is read, any block can be asked for (an interrupted download resumes where it stopped),
 * and a thousand devices downloading a 64 MiB image cost a thousand blocks of memory, not a thousand images (which
 * is what Californium's transparent block-wise transfer would keep, one whole body per transfer).
 */
public final class DownloadResource extends CoapResource {

    private static final Logger LOG = LoggerFactory.getLogger(DownloadResource.class);

    /** What a token gives: the device it was issued for and the image's file. */
    public record Grant(String endpoint, Path file, long size) {
    }

    /** Why a download request with a valid token is refused (a metric tag and a log reason). */
    public enum Refusal {
        PLAIN_COAP("plain-coap", "link of a DTLS device asked for over plain CoAP"),
        OTHER_DEVICE("other-device", "link issued to another device");

        final String tag;
        final String reason;

        Refusal(String tag, String reason) {
            this.tag = tag;
            this.reason = reason;
        }
    }

    /** The rule of who may fetch a device's link. */
    public interface Access {

        /**
         * @param requester the request's identity: a DTLS identity, or an unsecured one over plain CoAP
         * @return empty when {@code requester} may download {@code endpoint}'s link, else why not
         */
        Optional<Refusal> check(String endpoint, LwM2mIdentity requester);
    }

    private static final DefaultCoapsIdentityHandler SECURE_IDENTITIES = new DefaultCoapsIdentityHandler();
    private static final DefaultCoapIdentityHandler PLAIN_IDENTITIES = new DefaultCoapIdentityHandler();
    /** 1,024 bytes, the largest block CoAP over UDP has (szx 7 is BERT, TCP only). */
    private static final int MAX_SZX = BlockOption.size2Szx(1024);

    private final Function<String, Optional<Grant>> grantForToken;
    private final Access access;
    private final int preferredSzx;
    private final MeterRegistry meters;
    private final EventBus events;

    /**
     * @param grantForToken the grant of a valid token, or empty
     * @param preferredBlockSize the block size when the device leaves it to us (the endpoints' preferred size)
     */
    public DownloadResource(Function<String, Optional<Grant>> grantForToken, Access access, int preferredBlockSize,
            MeterRegistry meters, EventBus events) {
        super("fw");
        this.grantForToken = grantForToken;
        this.access = access;
        this.preferredSzx = Math.min(MAX_SZX, BlockOption.size2Szx(preferredBlockSize));
        this.meters = meters;
        this.events = events;
    }

    /** Every {@code /fw/<token>} is handled here. */
    @Override
    public Resource getChild(String name) {
        return this;
    }

    @Override
    public void handleGET(CoapExchange exchange) {
        Request request = exchange.advanced().getRequest();
        String[] path = exchange.getRequestOptions().getUriPathString().split("/");
        String token = path.length == 2 ? path[1] : "";
        Optional<Grant> grant = grantForToken.apply(token);
        if (grant.isEmpty()) {
            refuse(exchange, null, "unknown-token", "unknown or finished token", ResponseCode.NOT_FOUND);
            return;
        }
        boolean secure = request.getSourceContext().getPeerIdentity() != null;
        LwM2mIdentity requester = (secure ? SECURE_IDENTITIES : PLAIN_IDENTITIES).getIdentity(request).getIdentity();
        Optional<Refusal> refusal = access.check(grant.get().endpoint(), requester);
        if (refusal.isPresent()) {
            refuse(exchange, grant.get().endpoint(), refusal.get().tag, refusal.get().reason,
                    ResponseCode.FORBIDDEN);
            return;
        }
        respondWithBlock(exchange, grant.get());
    }

    private void respondWithBlock(CoapExchange exchange, Grant grant) {
        BlockOption asked = exchange.getRequestOptions().getBlock2();
        // A smaller block than asked is allowed (RFC 7959 2.2); the offset stays the one asked for.
        int szx = asked == null ? preferredSzx : Math.min(asked.getSzx(), MAX_SZX);
        int blockSize = BlockOption.szx2Size(szx);
        long offset = asked == null ? 0 : asked.getOffset();
        if (offset >= grant.size()) {
            exchange.respond(ResponseCode.BAD_OPTION, "block " + asked + " is past the image's end");
            return;
        }
        int length = (int) Math.min(blockSize, grant.size() - offset);
        ByteBuffer block = ByteBuffer.allocate(length);
        try (FileChannel file = FileChannel.open(grant.file(), StandardOpenOption.READ)) {
            while (block.hasRemaining() && file.read(block, offset + block.position()) >= 0) {
                // positional reads until the block is full
            }
        } catch (IOException e) {
            LOG.error("firmware download failed endpoint={} reason=image file unreadable: {}", grant.endpoint(),
                    e.toString());
            exchange.respond(ResponseCode.INTERNAL_SERVER_ERROR);
            return;
        }
        if (block.hasRemaining()) {
            LOG.error("firmware download failed endpoint={} reason=image file shorter than recorded", grant.endpoint());
            exchange.respond(ResponseCode.INTERNAL_SERVER_ERROR);
            return;
        }
        Response response = new Response(ResponseCode.CONTENT);
        response.setPayload(block.array());
        response.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
        response.getOptions().setBlock2(szx, offset + length < grant.size(), (int) (offset / blockSize));
        response.getOptions().setSize2((int) grant.size());
        exchange.respond(response);
    }

    private void refuse(CoapExchange exchange, String endpoint, String tag, String reason, ResponseCode code) {
        String peer = String.valueOf(exchange.getSourceSocketAddress());
        LOG.warn("firmware download refused endpoint={} peer={} reason={}", endpoint, peer, reason);
        meters.counter("lwm2m.firmware.downloads.refused", "reason", tag).increment();
        if (endpoint != null) {
            events.publish(EventTypes.AUTHENTICATION_FAILED, endpoint,
                    Map.of("peer", peer, "reason", reason, "request", "firmware-download"));
        }
        exchange.respond(code);
    }
}
