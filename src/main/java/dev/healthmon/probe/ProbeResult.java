package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.McpServerInfo;
import dev.healthmon.status.Observation;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one probe: what it observed, how long it took, what failed (if anything), how
 * long the backend asked us to wait (HTTP {@code Retry-After}) and, for MCP checks that got through
 * {@code initialize}, what the server said about itself.
 */
public record ProbeResult(Observation observation, Duration latency, Optional<Failure> failure,
                          Optional<Duration> retryAfter, Optional<McpServerInfo> mcp) {

    public ProbeResult {
        Objects.requireNonNull(observation, "observation");
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(mcp, "mcp");
    }

    public ProbeResult(Observation observation, Duration latency,
            Optional<Failure> failure, Optional<Duration> retryAfter) {
        this(observation, latency, failure, retryAfter, Optional.empty());
    }

    public static ProbeResult success(Observation observation, Duration latency) {
        return new ProbeResult(observation, latency, Optional.empty(), Optional.empty());
    }

    public static ProbeResult failed(Observation observation, Duration latency, Failure failure) {
        return new ProbeResult(observation, latency, Optional.of(failure), Optional.empty());
    }

    public static ProbeResult unhealthy(Duration latency, Failure failure) {
        return failed(Observation.unhealthy(), latency, failure);
    }

    /** This result with the server's {@code initialize} answer attached. */
    public ProbeResult withMcp(McpServerInfo info) {
        return new ProbeResult(observation, latency, failure, retryAfter, Optional.of(info));
    }
}
