package dev.healthmon.monitor;

import java.time.Duration;
import java.util.Objects;

/**
 * Monitor-wide circuit-breaker settings (ToolHive parity defaults: 5 failures, open 60 s).
 *
 * @param failureThreshold consecutive failures that open the circuit; the unhealthy threshold
 *                         applies if it is higher, so the circuit never opens on a backend that
 *                         still reads as healthy
 */
public record CircuitBreakerSettings(boolean enabled, int failureThreshold, Duration openDuration) {

    public static final CircuitBreakerSettings DEFAULTS = new CircuitBreakerSettings(true, 5, Duration.ofSeconds(60));
    public static final CircuitBreakerSettings DISABLED = new CircuitBreakerSettings(false, 5, Duration.ofSeconds(60));

    public CircuitBreakerSettings {
        Objects.requireNonNull(openDuration, "openDuration");
        if (failureThreshold < 1 || failureThreshold > 1000) {
            throw new IllegalArgumentException("circuit-breaker-failures: must be 1..1000, was " + failureThreshold);
        }
        if (openDuration.compareTo(Duration.ofSeconds(1)) < 0 || openDuration.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("circuit-breaker-open-ms: must be 1000..3600000, was "
                    + openDuration.toMillis());
        }
    }
}
