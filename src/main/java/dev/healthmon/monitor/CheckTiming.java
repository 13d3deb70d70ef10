package dev.healthmon.monitor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.DoubleSupplier;
import org.apache.kafka.common.utils.Utils;

/**
 * The timing rules of DESIGN.md §2: jitter on every interval, and a deterministic per-backend
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

    /** A stable offset in [0, interval) from the backend id: the same id always lands in the same slot. */
    public static Duration phaseOffset(String backendId, Duration interval) {
        long slot = Utils.toPositive(Utils.murmur2(backendId.getBytes(StandardCharsets.UTF_8)));
        return Duration.ofMillis(slot % interval.toMillis());
    }
}
