package dev.healthmon.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CheckTimingTest {

    @Test
    void jitterStaysWithinItsPercentageAndCoversTheRange() {
        Random random = new Random(42);
        Duration interval = Duration.ofSeconds(10);
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 10_000; i++) {
            long ms = CheckTiming.jittered(interval, 10, random::nextDouble).toMillis();
            min = Math.min(min, ms);
            max = Math.max(max, ms);
        }
        assertThat(min).isGreaterThanOrEqualTo(9_000).isLessThan(9_050);
        assertThat(max).isLessThanOrEqualTo(11_000).isGreaterThan(10_950);
    }

    @Test
    void zeroJitterKeepsTheInterval() {
        assertThat(CheckTiming.jittered(Duration.ofSeconds(5), 0, () -> 0.99)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void phaseOffsetIsStablePerBackend() {
        Duration interval = Duration.ofSeconds(30);
        assertThat(CheckTiming.phaseOffset("backend-1", interval)).isEqualTo(CheckTiming.phaseOffset("backend-1", interval));
    }

    @Test
    void phaseOffsetsSpreadTenThousandBackendsEvenlyOverTheInterval() {
        Duration interval = Duration.ofSeconds(30);
        int buckets = 30;
        int[] counts = new int[buckets];
        for (int i = 0; i < 10_000; i++) {
            long offset = CheckTiming.phaseOffset("backend-" + i, interval).toMillis();
            assertThat(offset).isBetween(0L, interval.toMillis() - 1);
            counts[(int) (offset * buckets / interval.toMillis())]++;
        }
        double mean = 10_000.0 / buckets;
        for (int count : counts) {
            assertThat(count).isLessThanOrEqualTo((int) (2 * mean));
        }
    }
}
