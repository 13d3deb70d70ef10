package dev.healthmon.monitor;

import dev.healthmon.registration.CheckSettings;
import dev.healthmon.status.HealthStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;
import java.util.zip.CRC32C;

/**
 * The timing rules of docs/design.md §4.2: jitter on every interval, and a deterministic per-backend
 * phase offset for checks started in bulk so thousands of backends neither fire together nor
 * re-synchronise after a rebalance.
 */
public final class CheckTiming {

    private CheckTiming() {}

    /**
     * {@code interval} moved by a uniform random amount within ±{@code jitterPercent}%.
     *
     * @param random uniform in [0, 1)
     */
    public static Duration jittered(Duration interval, int jitterPercent, DoubleSupplier random) {
        if (jitterPercent == 0) {
            return interval;
        }
        double factor = 1.0 + (random.getAsDouble() * 2.0 - 1.0) * jitterPercent / 100.0;
        return Duration.ofNanos(Math.round(interval.toNanos() * factor));
    }

    /**
     * The delay before the next check, jittered: {@code unhealthyInterval} while the backend is
     * UNHEALTHY or UNAUTHENTICATED, else {@code interval}; right after a change to HEALTHY or to a
     * failed status, the matching edge interval if one is set; never shorter than a
     * {@code Retry-After} the backend asked for, itself capped at {@code unhealthyInterval}.
     */
    public static Duration nextDelay(CheckSettings settings, HealthStatus previous, HealthStatus current,
                                     Optional<Duration> retryAfter, DoubleSupplier random) {
        boolean failed = current == HealthStatus.UNHEALTHY || current == HealthStatus.UNAUTHENTICATED;
        Duration base = failed ? settings.unhealthyInterval() : settings.interval();
        if (current != previous) {
            Optional<Duration> edge = current == HealthStatus.HEALTHY ? settings.healthyEdgeInterval()
                    : failed ? settings.unhealthyEdgeInterval() : Optional.empty();
            base = edge.orElse(base);
        }
        Duration delay = jittered(base, settings.jitterPercent(), random);
        if (retryAfter.isPresent()) {
            Duration asked = min(retryAfter.get(), settings.unhealthyInterval());
            delay = delay.compareTo(asked) < 0 ? asked : delay;
        }
        return delay;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * A stable offset in [0, interval) from the backend id: the same id always lands in the same slot, on every
     * instance and after every restart. CRC-32C (JDK) rather than Kafka's murmur2: checking knows nothing of Kafka.
     */
    public static Duration phaseOffset(String backendId, Duration interval) {
        CRC32C crc = new CRC32C();
        crc.update(backendId.getBytes(StandardCharsets.UTF_8));
        return Duration.ofMillis(crc.getValue() % interval.toMillis());
    }
}
