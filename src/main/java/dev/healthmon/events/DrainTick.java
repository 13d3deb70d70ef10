package dev.healthmon.events;

import java.time.Duration;

/**
 * How long the publisher waits before it drains the results that came meanwhile (docs/design.md
 * §7.1, §10.25). Results do not wake it ({@link CoalescingBuffer}), so every tick is one wake-up;
 * the tick is sized to the rate: it doubles, up to {@link #LONGEST}, after a tick that found at most
 * {@link #FEW} results, and halves, down to {@link #SHORTEST}, after one that found more than
 * {@link #MANY}. At 167 results a second a 5 ms tick woke the publisher about 200 times a second
 * for one result each; at 20 ms it wakes 50 times for three or four. At 1,000 a second and more it
 * stays at 5 ms, where a wake-up is shared by five results or more anyway.
 *
 * <p>Bound: a result waits at most {@link #LONGEST} here before the producer takes it, then up to
 * its {@code linger.ms} (50 ms) there. A result that finds the publisher asleep (a tick without
 * results) still wakes it at once.
 *
 * <p>The publisher thread alone calls {@link #ended}; {@link #nanos} may be read from any thread (tests).
 */
final class DrainTick {

    static final Duration SHORTEST = Duration.ofMillis(5);
    static final Duration LONGEST = Duration.ofMillis(20);
    /** At most this many results in a tick: it was mostly a wake-up for nothing, wait longer next time. */
    static final int FEW = 2;
    /** More than this many in a tick: results wait longer than they need to, wait less next time. */
    static final int MANY = 8;

    /** Written by the owner thread only; volatile so that a test can watch it (one write per tick). */
    private volatile long nanos = SHORTEST.toNanos();

    /** How long to wait for the next tick. */
    long nanos() {
        return nanos;
    }

    /** The tick just ended, having found {@code drained} results (dead letters and flushes count too). */
    void ended(int drained) {
        if (drained <= FEW) {
            nanos = Math.min(LONGEST.toNanos(), nanos * 2);
        } else if (drained > MANY) {
            nanos = Math.max(SHORTEST.toNanos(), nanos / 2);
        }
    }
}
