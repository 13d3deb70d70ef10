package dev.healthmon.status;

import java.util.Objects;
import java.util.Optional;

/**
 * What one check observed, the input of {@link HealthPolicy#next}: the outcome and, for a
 * DEGRADED outcome, why.
 */
public record Observation(Outcome outcome, Optional<Reason> reason) {

    public Observation {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
        if (outcome == Outcome.DEGRADED && reason.isEmpty()) {
            throw new IllegalArgumentException("a DEGRADED outcome needs a reason");
        }
    }

    public static Observation healthy() {
        return new Observation(Outcome.HEALTHY, Optional.empty());
    }

    public static Observation degraded(Reason reason) {
        return new Observation(Outcome.DEGRADED, Optional.of(reason));
    }

    public static Observation unhealthy() {
        return new Observation(Outcome.UNHEALTHY, Optional.empty());
    }

    public static Observation unauthenticated() {
        return new Observation(Outcome.UNAUTHENTICATED, Optional.of(Reason.AUTH_REQUIRED));
    }
}
