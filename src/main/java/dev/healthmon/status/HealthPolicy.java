package dev.healthmon.status;

import java.util.Optional;

/**
 * The status policy, one pure function shared by the monitor (the status it reports in each
 * event) and the aggregator (the authoritative status).
 *
 * <p>Semantics, starting from ToolHive's status tracker:
 * <ul>
 *   <li>UNKNOWN until the first result; a first success gives the outcome's status at once.
 *   <li>Failures change the status only once {@code thresholds.unhealthy()} of them are
 *       consecutive; below that an established backend keeps its status and a new one stays
 *       UNKNOWN. At the threshold the status becomes the failure's own (UNHEALTHY or
 *       UNAUTHENTICATED), and later failures overwrite it (UNHEALTHY ↔ UNAUTHENTICATED).
 *   <li>A success after any failure starts a recovery: DEGRADED with reason RECOVERING until
 *       {@code thresholds.healthy()} consecutive successes, then the success's own status
 *       (HEALTHY, or DEGRADED with its reason such as SLOW). ToolHive has no healthy threshold
 *       and cannot tell recovering from slow; we can.
 * </ul>
 */
public final class HealthPolicy {

    private HealthPolicy() {}

    public static PolicyState next(PolicyState state, Observation observation, Thresholds thresholds) {
        return observation.outcome().isSuccess()
                ? afterSuccess(state, observation, thresholds)
                : afterFailure(state, observation, thresholds);
    }

    /**
     * The state as published once the circuit breaker has acted: an UNHEALTHY backend whose circuit
     * is OPEN reads as UNHEALTHY with reason CIRCUIT_OPEN. The monitor applies it after every check,
     * the aggregator after every event, so both give the same reason.
     */
    public static PolicyState withCircuit(PolicyState state, CircuitState circuit) {
        if (circuit == CircuitState.OPEN && state.status() == HealthStatus.UNHEALTHY) {
            return new PolicyState(state.status(), Optional.of(Reason.CIRCUIT_OPEN), state.consecutiveFailures(),
                    state.consecutiveSuccesses());
        }
        return state;
    }

    private static PolicyState afterSuccess(PolicyState state, Observation observation, Thresholds thresholds) {
        int successes = state.consecutiveSuccesses() + 1;
        boolean recovering = state.consecutiveFailures() > 0
                || state.reason().filter(r -> r == Reason.RECOVERING).isPresent();
        if (recovering && successes < thresholds.healthy()) {
            return new PolicyState(HealthStatus.DEGRADED, Optional.of(Reason.RECOVERING), 0, successes);
        }
        HealthStatus status = observation.outcome() == Outcome.HEALTHY ? HealthStatus.HEALTHY : HealthStatus.DEGRADED;
        return new PolicyState(status, observation.reason(), 0, successes);
    }

    private static PolicyState afterFailure(PolicyState state, Observation observation, Thresholds thresholds) {
        int failures = state.consecutiveFailures() + 1;
        if (failures < thresholds.unhealthy()) {
            return new PolicyState(state.status(), state.reason(), failures, 0);
        }
        if (observation.outcome() == Outcome.UNAUTHENTICATED) {
            return new PolicyState(HealthStatus.UNAUTHENTICATED, Optional.of(Reason.AUTH_REQUIRED), failures, 0);
        }
        return new PolicyState(HealthStatus.UNHEALTHY, Optional.of(Reason.FAILING), failures, 0);
    }
}
