package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The availability buckets, held to the TreeMap rule they were first written with. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AvailabilityTest {

    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    @Test
    void bucketsAreThoseOfTheReferenceRuleForRandomChecksLateOnesIncluded() {
        long seed = 20261201L;
        Random random = new Random(seed);
        for (int run = 0; run < 200; run++) {
            Availability a = Availability.EMPTY;
            Reference minutes = new Reference(Duration.ofMinutes(1), Duration.ofHours(1));
            Reference quarters = new Reference(Duration.ofMinutes(15), Duration.ofDays(1));
            long at = T0.toEpochMilli();
            long newest = Long.MIN_VALUE;
            // Half the runs check on whole 30 s, so that window edges fall exactly on bucket starts.
            long grain = run % 2 == 0 ? 30_000 : 1;
            for (int i = 0; i < 300; i++) {
                // mostly forward by up to 3 minutes, sometimes a late check up to two hours back
                at += grain * (random.nextInt(10) == 0 ? -random.nextInt((int) (7_200_000 / grain))
                        : random.nextInt((int) (180_000 / grain)));
                boolean up = random.nextInt(4) != 0;
                newest = Math.max(newest, at);
                a = a.record(Instant.ofEpochMilli(at), up);
                minutes.add(at, up, newest);
                quarters.add(at, up, newest);
                assertThat(a.minutes()).as("seed %d run %d check %d", seed, run, i).isEqualTo(minutes.buckets());
                assertThat(a.quarters()).as("seed %d run %d check %d", seed, run, i).isEqualTo(quarters.buckets());
            }
        }
    }

    @Test
    void aCheckInTheNewestMinuteCountsThere() {
        Availability a = Availability.EMPTY.record(T0, true).record(T0.plusSeconds(30), false);
        assertThat(a.minutes()).containsExactly(new Availability.Bucket(T0.toEpochMilli(), 1, 2));
        assertThat(a.figures().lastHour()).hasValue(0.5);
    }

    /** The rule as first written: a sorted map merged, then everything at or before the window's edge cut. */
    private static final class Reference {
        private final TreeMap<Long, Availability.Bucket> byStart = new TreeMap<>();
        private final long width;
        private final long window;

        Reference(Duration width, Duration window) {
            this.width = width.toMillis();
            this.window = window.toMillis();
        }

        void add(long at, boolean up, long newest) {
            long start = Math.floorDiv(at, width) * width;
            byStart.merge(start, new Availability.Bucket(start, up ? 1 : 0, 1),
                    (old, one) -> new Availability.Bucket(start, old.up() + one.up(), old.total() + one.total()));
            byStart.headMap(newest - window - width, true).clear();
        }

        List<Availability.Bucket> buckets() {
            return new ArrayList<>(byStart.values());
        }
    }
}
