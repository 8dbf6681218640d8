package org.lwm2mfleet.server.error;

/**
 * A failure the caller should see as it is: what kind ({@link ProblemType}), which input field caused it (or null),
 * and a sentence for a person.
 */
public class FleetException extends RuntimeException {

    private final ProblemType type;
    private final String field;

    public FleetException(ProblemType type, String field, String detail) {
        super(detail);
        this.type = type;
        this.field = field;
    }

    public FleetException(ProblemType type, String field, String detail, Throwable cause) {
        super(detail, cause);
        this.type = type;
        this.field = field;
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
}
