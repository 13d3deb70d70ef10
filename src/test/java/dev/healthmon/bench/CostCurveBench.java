package dev.healthmon.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cost curve (issue #16 target 8): the load run ({@link LoadRun}) at every point of a grid of backend counts ×
 * checks a second, in one JVM with one farm, each point with an aggregator process reading the monitor's events
 * (target 6) and blackbox_exporter probing the same targets at the same rate once the monitor has stopped (target
 * 7). The aggregator runs at the rates up to {@code bench.curve.aggregatorMaxRate} only. For each backend count the
 * rates run from low to high and stop at the first saturated point ({@link CurveRow#saturated()}). Writes {@code
 * target/bench/cost-curve.{json,md}} (every figure of every point), {@code cost-curve-table.md} (the table
 * docs/BENCHMARKS.md shows) and {@code cost-curve.png}.
 *
 * <p>Run: {@code mvn -B -Pbench test -Dtest=CostCurveBench} with, optionally (defaults shown), {@code
 * -Dbench.curve.backends=1000,10000,100000 -Dbench.curve.rates=100,1000,4000,8000
 * -Dbench.curve.warmupSeconds=30 -Dbench.curve.measureSeconds=20 -Dbench.curve.aggregator=true
 * -Dbench.curve.aggregatorMaxRate=1000 -Dbench.curve.blackbox=true} and the load run's farm settings ({@code
 * bench.targets} …).
 */
class CostCurveBench {

    private static final int[] BACKENDS = ints(System.getProperty("bench.curve.backends", "1000,10000,100000"));
    private static final int[] RATES = ints(System.getProperty("bench.curve.rates", "100,1000,4000,8000"));
    /**
     * Shorter than the load run's 70 s + 60 s so that the grid fits in about 25 minutes; docs/BENCHMARKS.md compares
     * one point measured both ways. Points after the first run in a JVM whose JIT has compiled the hot paths.
     */
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.curve.warmupSeconds", 30);
    private static final int MEASURE_SECONDS = Integer.getInteger("bench.curve.measureSeconds", 20);
    private static final boolean AGGREGATOR =
            Boolean.parseBoolean(System.getProperty("bench.curve.aggregator", "true"));
    /**
     * The aggregator runs at the points up to this rate only: on two cores shared with the broker, the farm and
     * blackbox_exporter's driver, above that it competes with the monitor for the CPU, and the monitor's saturation
     * point would be the pipeline's. {@code LoadRunBench -Dbench.aggregator=true} measures it at 4,000 checks/s.
     */
    private static final int AGGREGATOR_MAX_RATE = Integer.getInteger("bench.curve.aggregatorMaxRate", 1000);
    private static final boolean BLACKBOX = Boolean.parseBoolean(System.getProperty("bench.curve.blackbox", "true"));

    @Test
    @Timeout(value = 90, unit = TimeUnit.MINUTES)
    void costCurve() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Map<String, Object> all = new LinkedHashMap<>();
        List<CurveRow> rows = new ArrayList<>();
        try (LoadRun run = LoadRunBench.farm()) {
            for (int backends : BACKENDS) {
                for (int rate : RATES) {
                    LoadPoint point = LoadPoint.atRate(backends, rate, WARMUP_SECONDS, MEASURE_SECONDS,
                            AGGREGATOR && rate <= AGGREGATOR_MAX_RATE, BLACKBOX);
                    if (point.intervalMs() > 86_400_000L) {
                        continue; // beyond the longest interval a registration may ask for
                    }
                    Map<String, Object> figures = run.measure(point);
                    all.put(backends + "@" + rate, figures);
                    CurveRow row = CurveRow.of(mapper.valueToTree(figures));
                    rows.add(row);
                    System.out.println("cost curve: " + row.markdown());
                    write(all, rows); // every point as it comes: a long run cut short keeps what it measured
                    if (row.saturated()) {
                        break; // higher rates only saturate more
                    }
                }
            }
        }
    }

    private static void write(Map<String, Object> all, List<CurveRow> rows) throws Exception {
        BenchResults.write("cost-curve", all);
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        StringBuilder table = new StringBuilder(CurveRow.markdownHeader()).append('\n');
        rows.forEach(r -> table.append(r.markdown()).append('\n'));
        Files.writeString(dir.resolve("cost-curve-table.md"), table);
        CostCurveChart.write(rows, dir.resolve("cost-curve.png"));
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

}
