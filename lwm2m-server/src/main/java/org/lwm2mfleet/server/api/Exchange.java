package org.lwm2mfleet.server.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;


import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One HTTP request and its answer: path and query parameters, a size-limited body, and JSON or problem+json replies.
 * A reply may be sent later from another thread (device calls complete asynchronously).
 */
public final class Exchange {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    public static final String JSON = "application/json";
    public static final String PROBLEM_JSON = "application/problem+json";

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final Map<String, String> pathParams;
    private final int maxBodyBytes;
    private final Caller caller;
    private Fields query;
    /** The body, when {@link ApiHandler} has read it in full before the route ran; null otherwise. */
    private byte[] body;

    Exchange(Request request, Response response, Callback callback, Map<String, String> pathParams,
            int maxBodyBytes, Caller caller) {
        this.caller = caller;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.pathParams = pathParams;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Who is calling, as the {@link Gate} admitted them; null only on open routes. */
    public Caller caller() {
        return caller;
    }

    /** The value of the request's cookie {@code name}, or null. */
    public String cookie(String name) {
        for (org.eclipse.jetty.http.HttpCookie cookie : Request.getCookies(request)) {
            if (cookie.getName().equals(name)) {
                return cookie.getValue();
            }
        }
        return null;
    }

    public Request request() {
        return request;
    }

    public Response response() {
        return response;
    }

    public Callback callback() {
        return callback;
    }

    public String path(String name) {
        return pathParams.get(name);
    }

    /** A query parameter, or null when absent or empty. */
    public String query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        }
        String value = query.getValue(name);
        return value == null || value.isBlank() ? null : value;
    }

    public int queryInt(String name, int fallback) {
        String value = query(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw FleetException.invalid(name, "must be a whole number, was '" + value + "'");
        }
    }

    /** A whole-number query parameter, or null when absent. */
    public Long queryLong(String name) {
        String value = query(name);
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw FleetException.invalid(name, "must be a whole number, was '" + value + "'");
        }
    }

    public String contentType() {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return type == null ? "" : type.split(";")[0].strip().toLowerCase();
    }

    /** Hands over the body read without a thread by {@link ApiHandler}. */
    void body(byte[] read) {
        this.body = read;
    }

    /** The body as text, refused with 413 when it is larger than the configured limit. */
    public String bodyText() {
        if (body != null) {
            return new String(body, StandardCharsets.UTF_8);
        }
        long declared = request.getLength();
        if (declared > maxBodyBytes) {
            throw tooLarge();
        }
        try (java.io.InputStream in = Content.Source.asInputStream(request)) {
            // One byte more than allowed tells a body that is too large without reading all of it.
            byte[] bytes = in.readNBytes(maxBodyBytes + 1);
            if (bytes.length > maxBodyBytes) {
                throw tooLarge();
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new FleetException(ProblemType.INVALID_INPUT, "body", "the body could not be read: " + e.getMessage());
        }
    }

    /** The body as JSON; a syntax error is a 400 that says where. An empty body is a 400 too. */
    public JsonNode bodyJson() {
        JsonNode json = bodyJsonOrNull();
        if (json == null) {
            throw new FleetException(ProblemType.MALFORMED_JSON, "body", "a JSON body is required");
        }
        return json;
    }

    /** The body as JSON, or null when there is no body. */
    public JsonNode bodyJsonOrNull() {
        String text = bodyText();
        if (text.isBlank()) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new FleetException(ProblemType.MALFORMED_JSON, "body",
                    "the body is not valid JSON" + where + ": " + e.getOriginalMessage());
        }
    }

    public void json(int status, Object body) {
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            fail(e);
            return;
        }
        send(status, JSON, bytes);
    }

    public void noContent() {
        response.setStatus(204);
        response.write(true, null, callback);
    }

    public void send(int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Answers with the problem the failure describes; anything unexpected is a logged 500 that reveals nothing. */
    public void fail(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        FleetException problem;
        if (cause instanceof FleetException fleet) {
            problem = fleet;
        } else if (cause instanceof org.lwm2mfleet.server.store.DataAccessException data && data.isStorageFailure()) {
            // Nothing was stored: say so, rather than 201 for a write that is lost or 500 for a bug.
            LOG.error("database unavailable on {} {}: {}", request.getMethod(), request.getHttpURI().getPath(),
                    data.getMessage());
            problem = new FleetException(ProblemType.STORAGE_UNAVAILABLE, null,
                    "the database is unavailable: this request's changes may not be stored; retry later"
                            + " (GET /health shows its state)");
        } else {
            LOG.error("unexpected failure on {} {}", request.getMethod(), request.getHttpURI().getPath(), cause);
            problem = new FleetException(ProblemType.INTERNAL, null, "unexpected error, see the server log");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.type().uri());
        body.put("title", problem.type().title());
        body.put("status", problem.type().status());
        body.put("detail", problem.getMessage());
        if (problem.field() != null) {
            body.put("field", problem.field());
        }
        body.put("instance", request.getHttpURI().getPath());
        problem.extensions().forEach(body::putIfAbsent);
        if (problem.type() == ProblemType.PAYLOAD_TOO_LARGE || problem.type() == ProblemType.REQUEST_TIMEOUT) {
            // The rest of the body is not read: the connection cannot carry another request.
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        try {
            send(problem.type().status(), PROBLEM_JSON, Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            Response.writeError(request, response, callback, 500);
        }
    }

    FleetException tooLarge() {
        return new FleetException(ProblemType.PAYLOAD_TOO_LARGE, "body",
                "the body is larger than " + maxBodyBytes + " bytes");
    }
}
