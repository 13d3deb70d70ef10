package dev.healthmon.aggregate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Share of up checks (outcome HEALTHY or DEGRADED) over the last hour and the last day, counted
 * in buckets so that the state per backend stays bounded: one-minute buckets for the hour,
 * quarter-hour buckets for the day (so a window may reach back up to one bucket further). Windows
 * end at the newest check seen ("as of the last
 * check"). Immutable.
 */
public record Availability(long newestMs, List<Bucket> minutes, List<Bucket> quarters) {

    static final Duration HOUR = Duration.ofHours(1);
    static final Duration DAY = Duration.ofDays(1);
    private static final long MINUTE_MS = Duration.ofMinutes(1).toMillis();
    private static final long QUARTER_MS = Duration.ofMinutes(15).toMillis();

    public static final Availability EMPTY = new Availability(Long.MIN_VALUE, List.of(), List.of());

    /** Checks that started in {@code [startMs, startMs + bucket width)}. */
    public record Bucket(long startMs, int up, int total) {}

    /** The published figures; empty when no check fell in the window. */
    public record Figures(OptionalDouble lastHour, OptionalDouble lastDay) {
        public static final Figures NONE = new Figures(OptionalDouble.empty(), OptionalDouble.empty());

        public Figures {
            Objects.requireNonNull(lastHour, "lastHour");
            Objects.requireNonNull(lastDay, "lastDay");
        }
    }

    public Availability {
        minutes = List.copyOf(minutes);
        quarters = List.copyOf(quarters);
    }

    /** This window with one more check at {@code at}; buckets that fell out of their window are dropped. */
    public Availability record(Instant at, boolean up) {
        long newest = Math.max(newestMs, at.toEpochMilli());
        return new Availability(newest, add(minutes, at.toEpochMilli(), up, MINUTE_MS, newest, HOUR),
                add(quarters, at.toEpochMilli(), up, QUARTER_MS, newest, DAY));
    }

    public Figures figures() {
        return new Figures(share(minutes), share(quarters));
    }

    /**
     * The buckets with one more check: one pass over the sorted list (the check nearly always lands in
     * the newest bucket or just after it). A TreeMap rebuilt per check was a few per cent of the
     * aggregator's time per event (docs/BENCHMARKS.md).
     */
    private static List<Bucket> add(List<Bucket> buckets, long atMs, boolean up, long widthMs, long newestMs,
            Duration window) {
        long start = Math.floorDiv(atMs, widthMs) * widthMs;
        // Keep the buckets that overlap (newest - window, newest]; older ones fell out (a late, old check too).
        long dropUpTo = newestMs - window.toMillis() - widthMs;
        Bucket one = new Bucket(start, up ? 1 : 0, 1);
        List<Bucket> kept = new ArrayList<>(buckets.size() + 1);
        boolean added = false;
        for (Bucket b : buckets) {
            if (!added && start <= b.startMs()) {
                added = true;
                if (start == b.startMs()) {
                    b = new Bucket(start, b.up() + one.up(), b.total() + 1);
                } else {
                    keep(kept, one, dropUpTo);
                }
            }
            keep(kept, b, dropUpTo);
        }
        if (!added) {
            keep(kept, one, dropUpTo);
        }
        return kept;
    }

    private static void keep(List<Bucket> kept, Bucket b, long dropUpTo) {
        if (b.startMs() > dropUpTo) {
            kept.add(b);
        }
    }

    private static OptionalDouble share(List<Bucket> buckets) {
        long up = 0;
        long total = 0;
        for (Bucket b : buckets) {
            up += b.up();
            total += b.total();
        }
        return total == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) up / total);
    }
}
