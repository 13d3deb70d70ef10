package dev.healthmon.status;

import java.util.Objects;
import java.util.Optional;

/**
 * The status of one backend and the counters the policy needs to compute the next one.
 * Immutable; {@link HealthPolicy#next} returns a new value.
 */
public record PolicyState(
        HealthStatus status, Optional<Reason> reason, int consecutiveFailures, int consecutiveSuccesses) {

    public static final PolicyState INITIAL = new PolicyState(HealthStatus.UNKNOWN, Optional.empty(), 0, 0);

    public PolicyState {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        if (status == HealthStatus.DEGRADED && reason.isEmpty()) {
            throw new IllegalArgumentException("DEGRADED always carries a reason");
        }
        if (consecutiveFailures < 0 || consecutiveSuccesses < 0) {
            throw new IllegalArgumentException("counters cannot be negative");
        }
    }
}
