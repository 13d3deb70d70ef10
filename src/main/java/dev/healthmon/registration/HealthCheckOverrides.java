package dev.healthmon.registration;

import java.util.Optional;

/**
 * The {@code healthCheck} object of a registration: per-backend overrides of the monitor's
 * defaults. Every field is optional; {@link CheckSettings#resolve} turns them into complete,
 * validated settings.
 */
public record HealthCheckOverrides(
        Optional<CheckType> type,
        Optional<String> path,
        Optional<StatusRanges> expectStatus,
        Optional<Long> intervalMs,
        Optional<Long> timeoutMs,
        Optional<Integer> unhealthyThreshold,
        Optional<Integer> healthyThreshold,
        Optional<Long> degradedLatencyMs,
        Optional<Long> initialDelayMs,
        Optional<Integer> jitterPercent,
        Optional<Long> unhealthyIntervalMs,
        Optional<Long> healthyEdgeIntervalMs,
        Optional<Long> unhealthyEdgeIntervalMs,
        Optional<McpMethod> mcpMethod,
        Optional<McpSessionMode> mcpSession) {

    public static final HealthCheckOverrides NONE = new HealthCheckOverrides(
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    /** Jackson's filter for a registration's {@code healthCheck}: no overrides, no object. */
    static final class IsNone {
        @Override
        public boolean equals(Object value) {
            return NONE.equals(value);
        }

        @Override
        public int hashCode() {
            return NONE.hashCode();
        }
    }
}
