package dev.healthmon.monitor;

import java.time.Duration;

/**
 * How late {@link ExecutorCheckScheduler} lets a task run so that it runs in one wake-up with others (docs/design.md
 * §4.2, §10.27), sized to the rate: it doubles, up to its
 * longest, after a wake-up that took at most {@link #FEW} tasks, and halves, down to its shortest, after one that took
 * more than {@link #MANY}. At 10,000 backends every 60 s (167 checks a second, one every 6 ms) a fixed 5 ms woke the
 * scheduler once per check; at 40 ms a wake-up starts about seven. At 1,000 checks a second and more a wake-up finds
 * eight or more within 10 ms, and at the scale target's 3,333 a second about seventeen within 5 ms, so there the
 * slack, and with it the lateness, stays small.
 *
 * <p>A task scheduled a short time ahead may be late by a tenth of that time at most ({@link #capFor}, never below
 * the shortest): a backend checked every 100 ms among a few others would otherwise be checked every 100 to 140 ms,
 * and a 50 ms timeout declared up to 40 ms late. Only that task's own wake-up is brought forward ({@link DueQueue}):
 * the slack of the others is not capped. Tasks 400 ms or more ahead (a check every second or slower, a timeout of
 * 400 ms or more) are bounded by the slack alone.
 *
 * <p>Bound: a task never runs before its due time, and at most the slack in force when its wake-up was planned after
 * it (plus the thread's own delay); never more than the longest, nor than its {@link #capFor}.
 *
 * <p><b>Threading.</b> Not thread-safe: {@link DueQueue} calls it under the scheduler's lock.
 */
final class BatchSlack {

    /** The slack at high rates and to begin with: 5 ms batches about 17 checks at 3,333 checks/s. */
    static final Duration SHORTEST = Duration.ofMillis(5);
    /** The most a task may be late at low rates, inside the 50 ms p99 lateness that issue #16 allows. */
    static final Duration LONGEST = Duration.ofMillis(40);
    /** At most this many tasks in a wake-up: mostly a wake-up per check, wait longer next time. */
    static final int FEW = 7;
    /** More than this many: tasks wait longer than sharing a wake-up needs, wait less next time. */
    static final int MANY = 32;

    /** A task scheduled {@code d} ahead may be at most {@code d / LATENESS_SHARE} late (or the shortest slack). */
    static final int LATENESS_SHARE = 10;

    private final long shortest;
    private final long longest;
    private long nanos;

    private BatchSlack(long shortest, long longest) {
        if (shortest < 0 || longest < shortest) {
            throw new IllegalArgumentException("slack bounds must be 0 <= shortest <= longest: " + shortest + " ns, "
                    + longest + " ns");
        }
        this.shortest = shortest;
        this.longest = longest;
        this.nanos = shortest;
    }

    /** A slack that never changes (tests, and the one-task-at-a-time scheduler with none). */
    static BatchSlack fixed(long nanos) {
        return new BatchSlack(nanos, nanos);
    }

    /** A slack that starts at {@code shortest} and follows the rate between the two. */
    static BatchSlack sizedToRate(Duration shortest, Duration longest) {
        return new BatchSlack(shortest.toNanos(), longest.toNanos());
    }

    long nanos() {
        return nanos;
    }

    /**
     * How late a task scheduled {@code aheadNanos} ahead may run, when that is less than the longest slack: not at all
     * when asked for with no delay (a new registration's first check: registration → first event would otherwise pay
     * up to 40 ms on top of the publisher's tick and linger), else a tenth of it, never below the shortest;
     * {@link Long#MAX_VALUE} when the slack alone bounds it (400 ms ahead or more, or a fixed slack).
     */
    long capFor(long aheadNanos) {
        long cap = aheadNanos <= 0 ? 0 : Math.max(shortest, aheadNanos / LATENESS_SHARE);
        return cap < longest ? cap : Long.MAX_VALUE;
    }

    /** A wake-up just took {@code taken} tasks: size the slack of the next one by it. */
    void taken(int taken) {
        if (taken <= FEW) {
            nanos = Math.min(longest, Math.max(nanos * 2, 1));
        } else if (taken > MANY) {
            nanos = Math.max(shortest, nanos / 2);
        }
    }
}
