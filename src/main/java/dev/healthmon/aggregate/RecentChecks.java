package dev.healthmon.aggregate;

import dev.healthmon.status.Outcome;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The latest applied check results of one backend, oldest first, at most {@link #CAPACITY}: what the status
 * page draws as a bar of ticks and a latency sparkline. Kept in the {@code statuses} store beside the view, not
 * in the published {@code backend-status} record (a contract); served by {@code GET /api/checks}. Immutable.
 *
 * <p>Only events the fold applies are added ({@link StatusFold#apply}): a stale or superseded event adds no tick.
 * Adding copies at most {@link #CAPACITY} small entries, the same order of work as encoding them, which the store
 * does on every event anyway.
 */
public record RecentChecks(List<Check> checks) {

    /** Ticks per backend: a minute of checks at a 2 s interval, half an hour at 1 min. */
    public static final int CAPACITY = 30;

    public static final RecentChecks NONE = new RecentChecks(List.of());

    /** One applied check: when it ran (to the millisecond, as the store keeps it), what it saw, how long it took. */
    public record Check(Instant at, Outcome outcome, long latencyMs) {
        public Check {
            at = Objects.requireNonNull(at, "at").truncatedTo(ChronoUnit.MILLIS);
            Objects.requireNonNull(outcome, "outcome");
        }
    }

    /**
     * Keeps the newest {@link #CAPACITY} of {@code checks} (a store value may have been written with more). Checks
     * as the store holds them ({@link StoredChecks}, at most {@link #CAPACITY}, immutable) are kept as they are.
     */
    public RecentChecks {
        if (!(checks instanceof StoredChecks)) {
            checks = List.copyOf(checks.subList(Math.max(0, checks.size() - CAPACITY), checks.size()));
        }
    }

    /** These checks and {@code check} after them; the oldest falls out once there are {@link #CAPACITY}. */
    public RecentChecks add(Check check) {
        if (checks instanceof StoredChecks stored) {
            return new RecentChecks(stored.append(check)); // on the bytes: no check of these becomes an object
        }
        List<Check> next = new ArrayList<>(CAPACITY);
        next.addAll(checks.subList(checks.size() < CAPACITY ? 0 : 1, checks.size()));
        next.add(check);
        return new RecentChecks(next);
    }
}
