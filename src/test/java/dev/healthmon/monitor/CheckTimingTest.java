package dev.healthmon.monitor;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.status.HealthStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
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
        assertThat(CheckTiming.phaseOffset("backend-1", interval)).isEqualTo(CheckTiming.phaseOffset("backend-1",
                interval));
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

    private static CheckSettings settings(Consumer<ObjectNode> check) {
        return valid(json("t", "http://t.test/", j -> {
            ObjectNode h = (ObjectNode) j.get("healthCheck");
            h.put("intervalMs", 10_000).put("timeoutMs", 1000).put("jitterPercent", 0);
            check.accept(h);
        })).settings();
    }

    private static Duration next(CheckSettings s, HealthStatus from, HealthStatus to, Optional<Duration> retryAfter) {
        return CheckTiming.nextDelay(s, from, to, retryAfter, () -> 0.5);
    }

    @Test
    void unhealthyBackendsAreCheckedAtTheUnhealthyInterval() {
        CheckSettings s = settings(h -> h.put("unhealthyIntervalMs", 60_000));
        assertThat(next(s, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(60));
        assertThat(next(s, HealthStatus.UNAUTHENTICATED, HealthStatus.UNAUTHENTICATED,
                Optional.empty())).isEqualTo(Duration.ofSeconds(60));
        assertThat(next(s, HealthStatus.HEALTHY, HealthStatus.HEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void unhealthyIntervalDefaultsToTheInterval() {
        CheckSettings s = settings(h -> {});
        assertThat(next(s, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void edgeIntervalsApplyOnlyRightAfterAStatusChange() {
        CheckSettings s = settings(h -> h.put("unhealthyIntervalMs", 60_000).put("healthyEdgeIntervalMs", 1000)
                .put("unhealthyEdgeIntervalMs", 2000));
        assertThat(next(s, HealthStatus.DEGRADED, HealthStatus.HEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(1));
        assertThat(next(s, HealthStatus.HEALTHY, HealthStatus.HEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(10));
        assertThat(next(s, HealthStatus.HEALTHY, HealthStatus.UNHEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(2));
        assertThat(next(s, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY,
                Optional.empty())).isEqualTo(Duration.ofSeconds(60));
        assertThat(next(s, HealthStatus.UNHEALTHY, HealthStatus.DEGRADED, Optional.empty()))
                .as("no edge interval for DEGRADED").isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void retryAfterPushesTheNextCheckBackUpToTheUnhealthyInterval() {
        CheckSettings s = settings(h -> h.put("unhealthyIntervalMs", 30_000));
        assertThat(next(s, HealthStatus.HEALTHY, HealthStatus.DEGRADED, Optional.of(Duration.ofSeconds(20))))
                .isEqualTo(Duration.ofSeconds(20));
        assertThat(next(s, HealthStatus.HEALTHY, HealthStatus.DEGRADED, Optional.of(Duration.ofHours(1))))
                .as("bounded by the unhealthy interval").isEqualTo(Duration.ofSeconds(30));
        assertThat(next(s, HealthStatus.HEALTHY, HealthStatus.DEGRADED, Optional.of(Duration.ofSeconds(1))))
                .as("never sooner than the interval").isEqualTo(Duration.ofSeconds(10));
    }
}
