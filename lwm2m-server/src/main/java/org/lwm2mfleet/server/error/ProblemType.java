package org.lwm2mfleet.server.error;

import java.util.Locale;

/**
 * The closed list of failures a caller can get, each with its HTTP status and a stable {@code type} URI for
 * problem+json (RFC 9457). Services throw them as {@link FleetException}; the REST layer only renders them.
 */
public enum ProblemType {
    INVALID_INPUT(400, "Invalid input"),
    MALFORMED_JSON(400, "Malformed JSON"),
    INVALID_PATH(400, "Path outside the object model"),
    /** A request Jetty could not parse (bad Content-Length, ambiguous path, bad header): it never reached a route. */
    BAD_REQUEST(400, "Bad request"),
    UNAUTHORIZED(401, "Authentication required"),
    FORBIDDEN(403, "Forbidden"),
    PASSWORD_CHANGE_REQUIRED(403, "Password change required"),
    NOT_FOUND(404, "Not found"),
    METHOD_NOT_ALLOWED(405, "Method not allowed"),
    /** The body came too slowly or not in time (see docs/security.md, overload limits). */
    REQUEST_TIMEOUT(408, "Request timeout"),
    CONFLICT(409, "Conflict"),
    DEVICE_NOT_REGISTERED(409, "Device not registered"),
    DEVICE_ASLEEP(409, "Device asleep"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    URI_TOO_LONG(414, "URI too long"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    DEVICE_REFUSED(422, "Device refused the request"),
    TOO_MANY_ATTEMPTS(429, "Too many attempts"),
    TOO_MANY_STREAMS(429, "Too many event streams"),
    HEADERS_TOO_LARGE(431, "Request headers too large"),
    DEVICE_ERROR(502, "Device failed"),
    STORAGE_UNAVAILABLE(503, "Storage unavailable"),
    DEVICE_TIMEOUT(504, "Device did not answer in time"),
    INTERNAL(500, "Internal error");

    private final int status;
    private final String title;

    ProblemType(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String uri() {
        return "urn:lwm2m-fleet:problem:" + name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
