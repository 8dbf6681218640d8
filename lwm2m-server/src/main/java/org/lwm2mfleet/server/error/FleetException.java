package org.lwm2mfleet.server.error;

/**
 * A failure the caller should see as it is: what kind ({@link ProblemType}), which input field caused it (or null),
 * and a sentence for a person.
 */
public class FleetException extends RuntimeException {

    private final ProblemType type;
    private final String field;
    /** RFC 9457 extension members added to the problem (e.g. the last known value of a sleeping device). */
    private final java.util.Map<String, Object> extensions;

    public FleetException(ProblemType type, String field, String detail) {
        this(type, field, detail, java.util.Map.of());
    }

    /** @param extensions members added to the problem+json body beside type, title, status, detail and field */
    public FleetException(ProblemType type, String field, String detail, java.util.Map<String, Object> extensions) {
        super(detail);
        this.type = type;
        this.field = field;
        this.extensions = java.util.Map.copyOf(extensions);
    }

    public FleetException(ProblemType type, String field, String detail, Throwable cause) {
        super(detail, cause);
        this.type = type;
        this.field = field;
        this.extensions = java.util.Map.of();
    }

    public static FleetException invalid(String field, String detail) {
        return new FleetException(ProblemType.INVALID_INPUT, field, detail);
    }

    public static FleetException notFound(String detail) {
        return new FleetException(ProblemType.NOT_FOUND, null, detail);
    }

    public ProblemType type() {
        return type;
    }

    public String field() {
        return field;
    }

    public java.util.Map<String, Object> extensions() {
        return extensions;
    }
}
