package dev.healthmon.aggregate;

import dev.healthmon.status.PolicyState;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the aggregator keeps per backend (the {@code statuses} store): the published view
 * and what it needs to compute the next one. Immutable.
 *
 * @param view         the status as published
 * @param applied      position of the last applied event, for fencing
 * @param flapping     recent statuses
 * @param availability up/total buckets
 * @param history      the latest transitions, newest last, for {@code /api/transitions}
 * @param checks       the latest applied check results, for {@code /api/checks} (the status page's ticks)
 */
public record StatusState(BackendStatus view, Optional<Applied> applied, Flapping flapping, Availability availability,
                          List<StatusTransition> history, RecentChecks checks) {

    /**
     * Where a backend's event stream stands: events not after this are stale. It outlives a change
     * of checking fields (the epoch memory that fences zombies, docs/design.md §6.2); {@code monitorId},
     * {@code ownerEpoch} and {@code sequence} also tell whether the next event follows on (same check
     * lifetime, next sequence) or results are missing.
     */
    public record Applied(String monitorId, int ownerEpoch, long registrationOffset, long sequence, Instant checkedAt) {
        public Applied {
            Objects.requireNonNull(monitorId, "monitorId");
            Objects.requireNonNull(checkedAt, "checkedAt");
        }
    }

    public StatusState {
        Objects.requireNonNull(view, "view");
        Objects.requireNonNull(applied, "applied");
        Objects.requireNonNull(flapping, "flapping");
        Objects.requireNonNull(availability, "availability");
        history = history instanceof StoredHistory ? history : List.copyOf(history); // StoredHistory: immutable
        Objects.requireNonNull(checks, "checks");
    }

    public static StatusState fresh(BackendStatus view) {
        return new StatusState(view, Optional.empty(), Flapping.NONE, Availability.EMPTY, List.of(), RecentChecks.NONE);
    }

    /** True until the first event of the registration in force was applied (a new backend, or a new target). */
    boolean fresh() {
        return view.lastCheckedAt().isEmpty();
    }

    PolicyState policy() {
        return new PolicyState(view.status(), view.reason(), view.consecutiveFailures(), view.consecutiveSuccesses());
    }
}
