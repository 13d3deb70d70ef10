package dev.healthmon.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link HotPathBenchmarks} with JMH (in this JVM: forks would need the surefire class path
 * rebuilt; the figures are for comparing hot paths, not absolute). Results: {@code target/bench/jmh.json}
 * (JMH's own) and {@code target/bench/hot-paths.{json,md}} (score per benchmark).
 * Run: {@code mvn -B -Pbench test -Dtest=JmhBench}; {@code -Djmh.include=REGEX} runs only the matching
 * benchmarks, {@code -Djmh.warmups=N -Djmh.iterations=N} sets the one-second iterations (default 2 and 3).
 */
class JmhBench {

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void hotPaths() throws Exception {
        Path out = Files.createDirectories(Path.of("target", "bench")).resolve("jmh.json");
        var runs = new Runner(new OptionsBuilder()
                .include(HotPathBenchmarks.class.getName() + "\\." + System.getProperty("jmh.include", ".*"))
                .forks(0)
                .warmupIterations(Integer.getInteger("jmh.warmups", 2)).warmupTime(TimeValue.seconds(1))
                .measurementIterations(Integer.getInteger("jmh.iterations", 3)).measurementTime(TimeValue.seconds(1))
                .resultFormat(ResultFormatType.JSON).result(out.toString())
                .build()).run();
        Map<String, String> figures = new TreeMap<>();
        runs.forEach(run -> figures.put(run.getParams().getBenchmark().replaceFirst(".*\\.", ""), String.format(
                Locale.ROOT, "%.1f %s", run.getPrimaryResult().getScore(),
                run.getPrimaryResult().getScoreUnit())));
        BenchResults.write("hot-paths", figures);
    }
}
