package org.lwm2mfleet.server;

import java.net.InetSocketAddress;
import java.util.Arrays;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.coap.option.BlockOption;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;

/**
 * Hand-made CoAP requests to the server's plain CoAP port on 127.0.0.1, with Californium only (no Leshan client):
 * for what no well-behaved LwM2M client sends (malformed or repeated query parameters, non-confirmable Register,
 * block-wise uploads without or with a lying Size1). The endpoint does no transparent block-wise handling, so each
 * request and answer is exactly one datagram, and the test sees the server's every answer.
 */
final class RawCoap implements AutoCloseable {

    private static final long TIMEOUT_MS = 10_000;

    private final CoapEndpoint endpoint;
    private final int port;

    private RawCoap(int port) {
        this.port = port;
        Configuration config = Configuration.createStandardWithoutFile();
        // 0: no transparent block-wise, the test drives Block1 itself and sees 2.31 and 4.13 as they come.
        config.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, 0);
        config.set(UdpConfig.UDP_DATAGRAM_SIZE, 2048);
        this.endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
        // The server may talk back (it reads /3/0 of a device that registered): refuse that without an ERROR line.
        endpoint.setMessageDeliverer(new org.eclipse.californium.core.network.EndpointManager.ClientMessageDeliverer() {
            @Override
            public void deliverRequest(org.eclipse.californium.core.network.Exchange exchange) {
                exchange.sendResponse(new Response(ResponseCode.NOT_FOUND));
            }
        });
        try {
            endpoint.start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A client of the server's plain CoAP port. */
    static RawCoap to(TestServer server) {
        return new RawCoap(server.server().coapPort());
    }

    /** A confirmable request to {@code pathAndQuery} ({@code /rd?ep=a&lt=60}), query kept as written. */
    Request request(Code code, String pathAndQuery) {
        Request request = new Request(code, Type.CON);
        request.setURI("coap://127.0.0.1:" + port + pathAndQuery);
        return request;
    }

    /** POST of a link-format body in one datagram (so at most about 1 KiB). */
    Response post(String pathAndQuery, String linkFormat) {
        Request request = request(Code.POST, pathAndQuery);
        request.setPayload(linkFormat);
        request.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_LINK_FORMAT);
        return send(request);
    }

    /** Sends and waits for the answer; fails the test when none comes. */
    Response send(Request request) {
        request.send(endpoint);
        try {
            Response response = request.waitForResponse(TIMEOUT_MS);
            if (response == null) {
                throw new AssertionError("no answer to " + request);
            }
            return response;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** What a block-wise POST came to: the last answer, and how many blocks the server took before it. */
    record Upload(Response last, int blocksSent) {
    }

    /**
     * POSTs {@code body} in Block1 blocks of {@code blockSize} bytes, each a separate request, and stops at the
     * first answer that is not 2.31 Continue.
     *
     * @param size1 the Size1 option of the first block (the body size the sender announces), or null for none
     */
    Upload postBlocks(String pathAndQuery, byte[] body, int contentFormat, int blockSize, Integer size1) {
        int szx = BlockOption.size2Szx(blockSize);
        int blocks = (body.length + blockSize - 1) / blockSize;
        for (int num = 0; num < blocks; num++) {
            Request request = request(Code.POST, pathAndQuery);
            int from = num * blockSize;
            boolean more = num < blocks - 1;
            request.setPayload(Arrays.copyOfRange(body, from, Math.min(body.length, from + blockSize)));
            request.getOptions().setContentFormat(contentFormat);
            request.getOptions().setBlock1(szx, more, num);
            if (num == 0 && size1 != null) {
                request.getOptions().setSize1(size1);
            }
            Response response = send(request);
            if (!more || response.getCode() != ResponseCode.CONTINUE) {
                return new Upload(response, num + 1);
            }
        }
        throw new IllegalArgumentException("empty body");
    }

    @Override
    public void close() {
        endpoint.destroy();
    }
}
