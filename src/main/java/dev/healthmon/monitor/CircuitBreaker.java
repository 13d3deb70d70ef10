package dev.healthmon.monitor;

import dev.healthmon.status.CircuitState;
import java.time.Duration;

/**
 * The circuit breaker's rules, for one backend's {@link CircuitState}. It spaces out checks of a dead
 * backend: once OPEN, the next check is scheduled {@code openDuration} later instead of one interval
 * later, so no probe is sent meanwhile, and that check is the single half-open trial: success closes the
 * circuit, failure opens it again for the full duration. See {@link CircuitState} for the transitions.
 *
 * <p>It counts the same consecutive failures as the status policy and never opens before the
 * unhealthy threshold is reached, so an open circuit always goes with an UNHEALTHY or
 * UNAUTHENTICATED status — unlike ToolHive, whose separate counter can open the circuit while
 * the backend still reads as healthy.
 *
 * <p>Pure functions: the state lives in its {@link BackendCheck} (one field, under the check's lock), not in
 * an object per backend — 24 B each at 100,000 backends (docs/BENCHMARKS.md, one monitor at scale).
 */
final class CircuitBreaker {

    private CircuitBreaker() {}

    /** A check is about to run; if the circuit is OPEN, this check is its half-open trial. */
    static CircuitState beforeCheck(CircuitState state) {
        return state == CircuitState.OPEN ? state.to(CircuitState.HALF_OPEN) : state;
    }

    /**
     * The state after a check's result; {@code consecutiveFailures} is the policy's count after it. The
     * circuit opens after {@code failureThreshold} failures, never before {@code unhealthyThreshold}.
     */
    static CircuitState afterCheck(CircuitState state, CircuitBreakerSettings settings, int unhealthyThreshold,
                                   boolean success, int consecutiveFailures) {
        if (success) {
            return state == CircuitState.HALF_OPEN ? state.to(CircuitState.CLOSED) : state;
        }
        int openAfter = Math.max(settings.failureThreshold(), unhealthyThreshold);
        if (state == CircuitState.HALF_OPEN
                || state == CircuitState.CLOSED && settings.enabled() && consecutiveFailures >= openAfter) {
            return state.to(CircuitState.OPEN);
        }
        return state;
    }

    /** The delay before the next check: the open duration while OPEN, else {@code interval}. */
    static Duration nextDelay(CircuitState state, CircuitBreakerSettings settings, Duration interval) {
        return state == CircuitState.OPEN ? settings.openDuration() : interval;
    }
}
