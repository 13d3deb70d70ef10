package dev.healthmon.aggregate;

import dev.healthmon.status.HealthStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Flap detection: a backend is flapping while its status changed at least
 * {@code settings.flapChanges()} times within its last {@code settings.flapWindow()} results
 * (default 4 in 20). Immutable.
 *
 * @param recent the status after each of the last results, oldest first
 */
public record Flapping(List<HealthStatus> recent, boolean flapping) {

    public static final Flapping NONE = new Flapping(List.of(), false);

    public Flapping {
        recent = List.copyOf(recent);
    }

    public Flapping next(HealthStatus status, AggregatorSettings settings) {
        // Only the newest flapWindow - 1 before it: a stored value may hold more (the window was lowered).
        List<HealthStatus> window = new ArrayList<>(recent.subList(
                Math.max(0, recent.size() + 1 - settings.flapWindow()), recent.size()));
        window.add(status);
        int changes = 0;
        for (int i = 1; i < window.size(); i++) {
            if (window.get(i) != window.get(i - 1)) {
                changes++;
            }
        }
        return new Flapping(window, changes >= settings.flapChanges());
    }
}
