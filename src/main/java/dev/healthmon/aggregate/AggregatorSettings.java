package dev.healthmon.aggregate;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the aggregator judges events.
 *
 * @param flapChanges           status changes within {@code flapWindow} results that make a backend flapping
 *                              (default 4)
 * @param flapWindow            how many recent results flap detection looks at (default 20)
 * @param monitorSessionTimeout the monitors' consumer-group session timeout (default 10 s, the monitor's
 *                              {@code session.timeout.ms}; under {@code --group-protocol consumer} the brokers'
 *                              {@code group.consumer.session.timeout.ms}, 45 s by default): how long a monitor that
 *                              lost a backend may go on checking it. Each backend's epoch fence window is this plus
 *                              its longest interval plus its timeout ({@link TrackedBackend#fenceWindow},
 * docs/design.md §6.3)
 * @param historyPerBackend     transitions kept per backend for {@code /api/transitions} (default 20)
 * @param statusHeartbeat       a {@code backend-status} record only when the status changes
 *                              ({@link BackendStatus#sameBesidesProgress}) and for the first event of each period
 *                              of this length, by check time (default {@link #DEFAULT_STATUS_HEARTBEAT}); zero: one
 *                              after every applied event (docs/design.md §8.9)
 */
public record AggregatorSettings(int flapChanges, int flapWindow, Duration monitorSessionTimeout,
                                 int historyPerBackend, Duration statusHeartbeat) {

    /**
     * A minute: a backend checked every 10-30 s publishes a sixth to a half of its events' statuses, one checked once a
     * minute or less often publishes every one (each check opens a period), and a reader of {@code backend-status}
     * sees check progress at most a minute old, the same as a one-minute scrape of {@code /metrics}
     * (docs/design.md §10.24).
     */
    public static final Duration DEFAULT_STATUS_HEARTBEAT = Duration.ofMinutes(1);

    public static final AggregatorSettings DEFAULTS = new AggregatorSettings(4, 20, Duration.ofSeconds(10), 20,
            DEFAULT_STATUS_HEARTBEAT);

    public AggregatorSettings(int flapChanges, int flapWindow, Duration monitorSessionTimeout, int historyPerBackend) {
        this(flapChanges, flapWindow, monitorSessionTimeout, historyPerBackend, DEFAULT_STATUS_HEARTBEAT);
    }

    public AggregatorSettings {
        Objects.requireNonNull(monitorSessionTimeout, "monitorSessionTimeout");
        if (flapWindow < 2 || flapWindow > 1000) {
            throw new IllegalArgumentException("flap window must be 2..1000 results, was " + flapWindow);
        }
        if (flapChanges < 1 || flapChanges >= flapWindow) {
            throw new IllegalArgumentException("flap changes must be 1.." + (flapWindow - 1) + ", was " + flapChanges);
        }
        if (monitorSessionTimeout.toMillis() < 1000 || monitorSessionTimeout.toMillis() > 3_600_000) {
            throw new IllegalArgumentException("monitor-session-timeout-ms: must be 1000..3600000, was "
                    + monitorSessionTimeout.toMillis());
        }
        Objects.requireNonNull(statusHeartbeat, "statusHeartbeat");
        long heartbeatMs = statusHeartbeat.toMillis();
        if (!statusHeartbeat.isZero() && (heartbeatMs < 1000 || heartbeatMs > 86_400_000)) {
            throw new IllegalArgumentException("status-heartbeat-ms: must be 0 or 1000..86400000, was "
                    + statusHeartbeat.toMillis());
        }
        if (historyPerBackend < 0 || historyPerBackend > 1000) {
            throw new IllegalArgumentException("history per backend must be 0..1000, was " + historyPerBackend);
        }
    }

    /**
     * Whether an applied event's status goes to {@code backend-status}: always without a heartbeat; with
     * one, when the status changed beyond check progress, when the event is the first applied of the
     * registration in force (a name- or labels-only re-registration was published with the previous
     * registration's {@code lastCheckedAt}: without this record the last one would name no event of the
     * registration in force for up to a period, docs/design.md §8.9), or when {@code after}'s check is the
     * first in a new heartbeat period (periods aligned on the epoch, so no state is kept for it).
     */
    boolean publishes(StatusState before, StatusState after) {
        BackendStatus was = before.view();
        BackendStatus now = after.view();
        if (statusHeartbeat.isZero() || !now.sameBesidesProgress(was) || was.lastCheckedAt().isEmpty()
                || now.lastCheckedAt().isEmpty() || !registrationOffset(before).equals(registrationOffset(after))) {
            return true;
        }
        long period = statusHeartbeat.toMillis();
        return Math.floorDiv(was.lastCheckedAt().get().toEpochMilli(), period)
                != Math.floorDiv(now.lastCheckedAt().get().toEpochMilli(), period);
    }

    private static Optional<Long> registrationOffset(StatusState state) {
        return state.applied().map(StatusState.Applied::registrationOffset);
    }
}
