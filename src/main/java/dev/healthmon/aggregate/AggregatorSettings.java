package dev.healthmon.aggregate;

import java.time.Duration;
import java.util.Objects;

/**
 * How the aggregator judges events.
 *
 * @param flapChanges       status changes within {@code flapWindow} results that make a backend flapping (default 4)
 * @param flapWindow        how many recent results flap detection looks at (default 20)
 * @param epochFenceWindow  a lower {@code ownerEpoch} than the last applied one is accepted again once the
 *                          last applied event is older than this: the monitors' group was recreated and
 *                          its epochs restarted at 1 (DESIGN.md §4). Must exceed session timeout + the
 *                          longest interval + its timeout (default 10 min)
 * @param historyPerBackend transitions kept per backend for {@code /api/transitions} (default 20)
 */
public record AggregatorSettings(int flapChanges, int flapWindow, Duration epochFenceWindow, int historyPerBackend) {

    public static final AggregatorSettings DEFAULTS = new AggregatorSettings(4, 20, Duration.ofMinutes(10), 20);

    public AggregatorSettings {
        Objects.requireNonNull(epochFenceWindow, "epochFenceWindow");
        if (flapWindow < 2 || flapWindow > 1000) {
            throw new IllegalArgumentException("flap window must be 2..1000 results, was " + flapWindow);
        }
        if (flapChanges < 1 || flapChanges >= flapWindow) {
            throw new IllegalArgumentException("flap changes must be 1.." + (flapWindow - 1) + ", was " + flapChanges);
        }
        if (epochFenceWindow.isNegative() || epochFenceWindow.isZero()) {
            throw new IllegalArgumentException("epoch fence window must be positive, was " + epochFenceWindow);
        }
        if (historyPerBackend < 0 || historyPerBackend > 1000) {
            throw new IllegalArgumentException("history per backend must be 0..1000, was " + historyPerBackend);
        }
    }
}
