package dev.healthmon.monitor;

import dev.healthmon.status.CircuitState;
import java.time.Duration;

/**
 * One backend's circuit breaker. It spaces out checks of a dead backend: once OPEN, the next
 * check is scheduled {@code openDuration} later instead of one interval later, so no probe is sent
 * meanwhile, and that check is the single half-open trial: success closes the circuit, failure
 * opens it again for the full duration. See {@link CircuitState} for the transitions.
 *
 * <p>It counts the same consecutive failures as the status policy and never opens before the
 * unhealthy threshold is reached, so an open circuit always goes with an UNHEALTHY or
 * UNAUTHENTICATED status — unlike ToolHive, whose separate counter can open the circuit while
 * the backend still reads as healthy. Not thread-safe: its {@link BackendCheck} calls it under
 * its lock.
 */
final class CircuitBreaker {

    private final CircuitBreakerSettings settings;
    private final int openAfter;
    private CircuitState state = CircuitState.CLOSED;

    CircuitBreaker(CircuitBreakerSettings settings, int unhealthyThreshold) {
        this.settings = settings;
        this.openAfter = Math.max(settings.failureThreshold(), unhealthyThreshold);
    }

    CircuitState state() {
        return state;
    }

    /** A check is about to run; if the circuit is OPEN, this check is its half-open trial. */
    void beforeCheck() {
        if (state == CircuitState.OPEN) {
            state = state.to(CircuitState.HALF_OPEN);
        }
    }

    /** Records a check's result; {@code consecutiveFailures} is the policy's count after it. */
    void afterCheck(boolean success, int consecutiveFailures) {
        if (success) {
            if (state == CircuitState.HALF_OPEN) {
                state = state.to(CircuitState.CLOSED);
            }
        } else if (state == CircuitState.HALF_OPEN
                || state == CircuitState.CLOSED && settings.enabled() && consecutiveFailures >= openAfter) {
            state = state.to(CircuitState.OPEN);
        }
    }

    /** The delay before the next check: the open duration while OPEN, else {@code interval}. */
    Duration nextDelay(Duration interval) {
        return state == CircuitState.OPEN ? settings.openDuration() : interval;
    }
}
