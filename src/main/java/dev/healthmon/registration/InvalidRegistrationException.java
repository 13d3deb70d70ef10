package dev.healthmon.registration;

/**
 * A registration (or a default it inherits) is not acceptable. Names the field and says why, in
 * words fit for the person who wrote the record. Never carries a secret value.
 */
public final class InvalidRegistrationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;
    private final String field;
    private final String problem;

    public InvalidRegistrationException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** The JSON path of the offending field, e.g. {@code healthCheck.timeoutMs}; {@code $} for the whole value. */
    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
