package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OsThreadStatsTest {

    @Test
    void aThreadThatEndsBetweenSamplesTakesNothingAwayFromItsGroup() {
        Map<String, OsThreadStats.Usage> before = Map.of(
                "HttpClient-Worker/101", new OsThreadStats.Usage(5_000_000, 900), // ends before the second sample
                "HttpClient-Worker/102", new OsThreadStats.Usage(1_000_000, 100));
        Map<String, OsThreadStats.Usage> after = Map.of(
                "HttpClient-Worker/102", new OsThreadStats.Usage(1_500_000, 150),
                "HttpClient-Worker/103", new OsThreadStats.Usage(200_000, 20)); // started in between

        assertThat(OsThreadStats.delta(before, after))
                .containsExactly(Map.entry("HttpClient-Worker", new OsThreadStats.Usage(700_000, 70)));
    }

    @Test
    void cpuWithoutTheJitCountsEveryThreadButTheCompilers() {
        Map<String, OsThreadStats.Usage> delta = Map.of(
                "C CompilerThre", new OsThreadStats.Usage(400_000, 4),
                "healthmon-http", new OsThreadStats.Usage(50_000, 5),
                "java", new OsThreadStats.Usage(20_000, 2));

        assertThat(OsThreadStats.cpuNanosWithoutJit(delta)).isEqualTo(70_000);
    }

    @Test
    void samplesThisProcessesThreadsByNameAndId() {
        assertThat(OsThreadStats.sample().keySet()).anyMatch(k -> k.matches("[^/]+/\\d+"));
    }
}
