package org.lwm2mfleet.server.lwm2m;

import org.eclipse.californium.core.coap.option.BlockOption;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.network.interceptors.MessageInterceptor;

/**
 * The largest body a device may send in a request, by resource, applied to each request (and each of its Block1
 * blocks) before Californium's block-wise layer sees it: that layer reassembles an upload into a buffer of up to
 * the message's limit and answers 4.13 past it. Before, one limit served everything and was the firmware limit
 * (64 MiB), so a 1 MB registration from an unprovisioned endpoint was reassembled and parsed before the authorizer
 * could refuse it. Firmware only leaves the server (pushed as a Write, pulled from the download resource), and
 * Californium does not bound what it sends; device answers to our reads are bounded by the configuration's
 * {@code MAX_RESOURCE_BODY_SIZE} ({@link LeshanServerFactory#DEVICE_ANSWER_MAX_BYTES}).
 */
final class UplinkBodyLimits implements MessageInterceptor {

    /** Register and Update: object links, a few hundred bytes for a real device, kilobytes for a gateway. */
    static final int REGISTRATION_MAX_BYTES = 16 * 1024;
    /** Send: a batch of timestamped values, SenML or LwM2M CBOR/JSON. */
    static final int SEND_MAX_BYTES = 64 * 1024;
    /** Anything else: no other resource of the server takes a request body. */
    static final int OTHER_MAX_BYTES = 1024;

    private final MalformedRequests malformed;

    UplinkBodyLimits(MalformedRequests malformed) {
        this.malformed = malformed;
    }

    static int limitFor(String firstSegment) {
        return switch (firstSegment) {
        case "rd" -> REGISTRATION_MAX_BYTES;
        case "dp" -> SEND_MAX_BYTES;
        default -> OTHER_MAX_BYTES;
        };
    }

    @Override
    public void receiveRequest(Request request) {
        var path = request.getOptions().getUriPath();
        String first = path.isEmpty() ? "" : path.get(0).getStringValue();
        int limit = limitFor(first);
        request.setMaxResourceBodySize(limit);
        // Californium answers 4.13 itself, below any resource; count it and log it like the other malformed requests.
        BlockOption block1 = request.getOptions().getBlock1();
        boolean announcedTooLarge = request.getOptions().hasSize1() && request.getOptions().getSize1() > limit;
        boolean grownTooLarge = block1 != null && (long) block1.getOffset() + request.getPayloadSize() > limit;
        if (announcedTooLarge || grownTooLarge) {
            String kind = switch (first) {
            case "rd" -> path.size() == 1 ? "register" : "update";
            case "dp" -> "send";
            default -> "other";
            };
            malformed.report(kind, "too-large", RegistrationGuard.peer(request), null,
                    "body of more than " + limit + " bytes");
        }
    }
}
