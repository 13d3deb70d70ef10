package dev.healthmon.probe;

import dev.healthmon.status.Observation;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one probe: what it observed, how long it took, what failed (if anything) and how
 * long the backend asked us to wait (HTTP {@code Retry-After}).
 */
public record ProbeResult(Observation observation, Duration latency, Optional<Failure> failure,
                          Optional<Duration> retryAfter) {

    public ProbeResult {
        Objects.requireNonNull(observation, "observation");
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(retryAfter, "retryAfter");
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
}
