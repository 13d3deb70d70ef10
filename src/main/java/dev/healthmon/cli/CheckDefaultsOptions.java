package dev.healthmon.cli;

import dev.healthmon.registration.CheckDefaults;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Monitor-wide defaults for the health-check settings a registration may override. */
final class CheckDefaultsOptions {

    @Option(names = "--default-interval-ms", defaultValue = "30000", description = "Default ${DEFAULT-VALUE}.")
    long intervalMs;

    @Option(names = "--default-timeout-ms", defaultValue = "10000",
            description = "Must be < interval. Default ${DEFAULT-VALUE}.")
    long timeoutMs;

    @Option(names = "--default-degraded-latency-ms", defaultValue = "5000", description = "Default ${DEFAULT-VALUE}.")
    long degradedLatencyMs;

    @Option(names = "--default-initial-delay-ms", defaultValue = "0", description = "Default ${DEFAULT-VALUE}.")
    long initialDelayMs;

    @Option(names = "--default-jitter-percent", defaultValue = "10", description = "0-50. Default ${DEFAULT-VALUE}.")
    int jitterPercent;

    @Option(names = "--default-unhealthy-threshold", defaultValue = "3", description = "Default ${DEFAULT-VALUE}.")
    int unhealthyThreshold;

    @Option(names = "--default-healthy-threshold", defaultValue = "2", description = "Default ${DEFAULT-VALUE}.")
    int healthyThreshold;

    CheckDefaults toDefaults() {
        return new CheckDefaults(Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs),
                Duration.ofMillis(degradedLatencyMs), Duration.ofMillis(initialDelayMs), jitterPercent,
                unhealthyThreshold, healthyThreshold);
    }
}
