package dev.healthmon.registration;

import dev.healthmon.status.Thresholds;
import dev.healthmon.status.UntrustedText;
import java.time.Duration;
import java.util.Optional;

/**
 * The complete, validated health-check settings of one registration: its overrides applied over
 * the monitor's {@link CheckDefaults}. Built only through {@link #resolve}, so every instance
 * satisfies timeout &lt; interval and the bounds below.
 */
public record CheckSettings(
        CheckType type,
        String path,
        StatusRanges expectStatus,
        Duration interval,
        Duration timeout,
        Duration degradedLatency,
        Duration initialDelay,
        int jitterPercent,
        Thresholds thresholds,
        Duration unhealthyInterval,
        Optional<Duration> healthyEdgeInterval,
        Optional<Duration> unhealthyEdgeInterval,
        McpMethod mcpMethod,
        McpSessionMode mcpSession) {

    static final long MIN_INTERVAL_MS = 100;
    static final long MAX_INTERVAL_MS = Duration.ofDays(1).toMillis();
    static final long MIN_TIMEOUT_MS = 10;
    static final long MAX_TIMEOUT_MS = Duration.ofMinutes(5).toMillis();

    /** @throws InvalidRegistrationException naming the {@code healthCheck.*} field at fault */
    public static CheckSettings resolve(HealthCheckOverrides o, Transport transport, CheckDefaults d) {
        long interval = o.intervalMs().orElse(d.interval().toMillis());
        long timeout = o.timeoutMs().orElse(d.timeout().toMillis());
        long degraded = o.degradedLatencyMs().orElse(d.degradedLatency().toMillis());
        long initialDelay = o.initialDelayMs().orElse(d.initialDelay().toMillis());
        int jitter = o.jitterPercent().orElse(d.jitterPercent());
        int unhealthy = o.unhealthyThreshold().orElse(d.unhealthyThreshold());
        int healthy = o.healthyThreshold().orElse(d.healthyThreshold());
        validate(interval, timeout, degraded, initialDelay, jitter, unhealthy, healthy, "healthCheck.");
        long unhealthyInterval = o.unhealthyIntervalMs().orElse(interval);
        requireRange("healthCheck.unhealthyIntervalMs", unhealthyInterval, timeout + 1, MAX_INTERVAL_MS);
        o.healthyEdgeIntervalMs().ifPresent(v -> requireRange("healthCheck.healthyEdgeIntervalMs", v, MIN_INTERVAL_MS,
                interval));
        o.unhealthyEdgeIntervalMs().ifPresent(v ->
                requireRange("healthCheck.unhealthyEdgeIntervalMs", v, MIN_INTERVAL_MS, unhealthyInterval));
        String path = o.path().orElse("");
        if (!path.isEmpty() && !path.startsWith("/")) {
            throw new InvalidRegistrationException("healthCheck.path", "must start with '/', was \""
                    + UntrustedText.escape(path, 80) + "\"");
        }
        return new CheckSettings(
                o.type().orElse(transport.defaultCheck()),
                path,
                o.expectStatus().orElse(StatusRanges.DEFAULT),
                Duration.ofMillis(interval),
                Duration.ofMillis(timeout),
                Duration.ofMillis(degraded),
                Duration.ofMillis(initialDelay),
                jitter,
                new Thresholds(unhealthy, healthy),
                Duration.ofMillis(unhealthyInterval),
                o.healthyEdgeIntervalMs().map(Duration::ofMillis),
                o.unhealthyEdgeIntervalMs().map(Duration::ofMillis),
                o.mcpMethod().orElse(McpMethod.PING),
                o.mcpSession().orElse(McpSessionMode.REUSE));
    }

    static void validate(long intervalMs, long timeoutMs, long degradedMs, long initialDelayMs,
                         int jitterPercent, int unhealthy, int healthy, String prefix) {
        requireRange(prefix + "intervalMs", intervalMs, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
        requireRange(prefix + "timeoutMs", timeoutMs, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
        if (timeoutMs >= intervalMs) {
            // Checks of one backend never overlap; a timeout as long as the interval would make them queue.
            throw new InvalidRegistrationException(prefix + "timeoutMs",
                    "must be less than intervalMs (" + intervalMs + "), was " + timeoutMs);
        }
        requireRange(prefix + "degradedLatencyMs", degradedMs, 1, MAX_TIMEOUT_MS);
        requireRange(prefix + "initialDelayMs", initialDelayMs, 0, MAX_INTERVAL_MS);
        requireRange(prefix + "jitterPercent", jitterPercent, 0, 50);
        requireRange(prefix + "unhealthyThreshold", unhealthy, 1, 100);
        requireRange(prefix + "healthyThreshold", healthy, 1, 100);
    }

    private static void requireRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new InvalidRegistrationException(field, "must be between " + min + " and " + max + ", was " + value);
        }
    }
}
