package org.lwm2mfleet.server.api;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.lwm2mfleet.server.error.ProblemType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The errors Jetty answers itself, before or around our handlers (a request line too long, a bad Content-Length,
 * an ambiguous path, an exception escaping a handler, a missing console file), as problem+json like every other
 * error: never Jetty's HTML page, never the exception's text, whatever the request's method or Accept header.
 * The detail is a fixed sentence per status; what Jetty said is logged at debug, and an unexpected exception once
 * at error.
 */
public final class ProblemErrorHandler extends ErrorHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemErrorHandler.class);

    @Override
    public boolean errorPageForMethod(String method) {
        return true; // a PUT or DELETE that fails deserves a body as much as a GET
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        if (code >= 500) {
            LOG.error("HTTP {} answered by Jetty for {} {}", code, request.getMethod(),
                    request.getHttpURI().getPath(), cause);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("HTTP {} answered by Jetty: {}", code, message, cause);
        }
        ProblemType type = typeOf(code);
        Map<String, Object> body = new LinkedHashMap<>();
        // RFC 9457 "about:blank" for a status we have no type for: the title is then the status phrase.
        body.put("type", type != null ? type.uri() : "about:blank");
        body.put("title", type != null ? type.title() : HttpStatus.getMessage(code));
        body.put("status", code);
        body.put("detail", detail(code));
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            bytes = ("{\"status\":" + code + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Exchange.PROBLEM_JSON);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** Our problem type for a status Jetty answers, or null for the rare others. */
    static ProblemType typeOf(int status) {
        return switch (status) {
            case 400 -> ProblemType.BAD_REQUEST;
            case 401 -> ProblemType.UNAUTHORIZED;
            case 403 -> ProblemType.FORBIDDEN;
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 408 -> ProblemType.REQUEST_TIMEOUT;
            case 413 -> ProblemType.PAYLOAD_TOO_LARGE;
            case 414 -> ProblemType.URI_TOO_LONG;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            case 431 -> ProblemType.HEADERS_TOO_LARGE;
            case 500 -> ProblemType.INTERNAL;
            default -> Arrays.stream(ProblemType.values()).filter(t -> t.status() == status).findFirst().orElse(null);
        };
    }

    private static String detail(int status) {
        return switch (status) {
            case 400 -> "the request is not valid HTTP (request line, path, header or Content-Length)";
            case 404 -> "nothing here";
            case 408 -> "the request did not arrive in time";
            case 413 -> "the request is too large";
            case 414 -> "the request URI is too long";
            case 431 -> "the request headers are too large";
            default -> status >= 500 ? "unexpected error, see the server log"
                    : "the request was refused: " + HttpStatus.getMessage(status);
        };
    }
}
