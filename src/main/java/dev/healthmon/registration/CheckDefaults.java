package dev.healthmon.registration;

import java.time.Duration;

/**
 * The monitor-wide defaults for every health-check setting a registration may override
 * (docs/design.md §4.2). Validated on construction so a bad default fails at start-up.
 */
public record CheckDefaults(
        Duration interval,
        Duration timeout,
        Duration degradedLatency,
        Duration initialDelay,
        int jitterPercent,
        int unhealthyThreshold,
        int healthyThreshold) {

    public static final CheckDefaults STANDARD = new CheckDefaults(
            Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ZERO, 10, 3, 2);

    public CheckDefaults {
        CheckSettings.validate(interval.toMillis(), timeout.toMillis(), degradedLatency.toMillis(),
                initialDelay.toMillis(), jitterPercent, unhealthyThreshold, healthyThreshold, "default ");
    }
}
