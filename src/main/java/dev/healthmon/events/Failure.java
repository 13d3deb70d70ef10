package dev.healthmon.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import java.util.OptionalInt;

/** What went wrong in a failed (or auth-challenged) check. The message never holds a secret. */
public record Failure(@JsonProperty(required = true) FailureKind kind, @JsonProperty(required = true) String message,
                      OptionalInt httpStatus) {

    public Failure {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(httpStatus, "httpStatus");
    }

    public static Failure of(FailureKind kind, String message) {
        return new Failure(kind, message, OptionalInt.empty());
    }

    public static Failure http(FailureKind kind, int status, String message) {
        return new Failure(kind, message, OptionalInt.of(status));
    }
}
