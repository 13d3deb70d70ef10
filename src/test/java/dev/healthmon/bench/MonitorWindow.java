package dev.healthmon.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.healthmon.support.BrokerProcesses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The load run's measurement window: what this JVM (the monitor) and the processes next to it had used at its start
 * and end, and the figures the difference gives. Called from the load run's thread only.
 */
final class MonitorWindow {

    /** Counters at one moment; {@code stat} is /proc/stat's total and steal jiffies, null where there is none. */
    record Sample(double checks, double published, Map<String, Long> threads, long jitMillis, long gcMillis,
            long cpuNanos, long farmNanos, long brokerNanos, long aggregatorNanos, long yardstickNanos, long[] stat,
            Map<String, OsThreadStats.Usage> osThreads, Map<String, OsThreadStats.Usage> aggregatorThreads,
            Map<String, OsThreadStats.Usage> yardstickThreads, long wallNanos) {}

    private MonitorWindow() {}

    static Sample sample(SimpleMeterRegistry meters, Process farm, BrokerProcesses broker,
            Optional<BenchAggregator> aggregator, Optional<BenchAggregator> yardstick) {
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return new Sample(meters.find("healthmon.checks").counters().stream().mapToDouble(Counter::count).sum(),
                meters.counter("healthmon.events.published").count(), cpuByThreadGroup(),
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime(), gcPauseMillis(),
                os.getProcessCpuTime(), cpuNanos(farm), broker.cpuTime().toNanos(),
                aggregator.map(a -> a.cpu().toNanos()).orElse(0L), yardstick.map(y -> y.cpu().toNanos()).orElse(0L),
                cpuJiffies(), OsThreadStats.sample(), aggregator.map(BenchAggregator::threads).orElse(Map.of()),
                yardstick.map(BenchAggregator::threads).orElse(Map.of()), System.nanoTime());
    }

    /** The window's figures, added to {@code results} (docs/BENCHMARKS.md says what each means). */
    static void figures(LoadPoint point, boolean yardstick, Sample a, Sample b, Map<String, Object> results) {
        double seconds = (b.wallNanos() - a.wallNanos()) / 1e9;
        double checks = b.checks() - a.checks();
        double cpuMicros = (b.cpuNanos() - a.cpuNanos()) / 1e3;
        if (a.stat() != null && b.stat() != null) {
            // Time the hypervisor gave to others: a run on a busy host is slower across the board.
            results.put("cpuStealPercent", Math.round(100.0 * (b.stat()[1] - a.stat()[1])
                    / Math.max(1, b.stat()[0] - a.stat()[0])));
        }
        results.put("checksPerSecondScheduled", Math.round(point.checksPerSecondScheduled()));
        results.put("checksPerSecondAchieved", Math.round(checks / seconds));
        results.put("cpuMicrosPerCheck", Math.round(cpuMicros / checks));
        // At low rates a fixed cost (timers, scans) dominates: the share of one core says it plainly.
        results.put("cpuPercentOfCore", Math.round(cpuMicros / 1e6 / seconds * 1000) / 10.0);
        results.put("wakeupsPerSecond", Math.round(OsThreadStats.delta(a.osThreads(), b.osThreads()).values()
                .stream().mapToLong(OsThreadStats.Usage::switches).sum() / seconds));
        results.put("osThreads", OsThreadStats.between(a.osThreads(), b.osThreads(), seconds, 0.05, 1));
        results.put("checksPerCpuSecond", Math.round(checks / (cpuMicros / 1e6)));
        results.put("eventsPublishedPerSecond", Math.round((b.published() - a.published()) / seconds));
        Map<String, Long> perCheck = new LinkedHashMap<>();
        b.threads().entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - a.threads().getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() / 1e3 / checks >= 5)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> perCheck.put(e.getKey(), Math.round(e.getValue() / 1e3 / checks)));
        results.put("cpuMicrosPerCheckByThread", perCheck);
        // The JVM's own threads, which ThreadMXBean does not list: compilation time (JIT
        // still busy means the warm-up was too short) and GC pauses, both in the window.
        results.put("jvmMicrosPerCheck", Map.of(
                "jitCompilation", Math.round((b.jitMillis() - a.jitMillis()) * 1e3 / checks),
                "gcPauses", Math.round((b.gcMillis() - a.gcMillis()) * 1e3 / checks)));
        // The other processes on the same cores, for context: what the monitor competes with.
        results.put("otherProcessesCpuMicrosPerCheck", Map.of(
                "targetFarm", Math.round((b.farmNanos() - a.farmNanos()) / 1e3 / checks),
                "broker", Math.round((b.brokerNanos() - a.brokerNanos()) / 1e3 / checks)));
        if (point.aggregator()) {
            // Issue #16 target 6: the whole pipeline, monitor and aggregator, for the same checks.
            long aggregator = Math.round((b.aggregatorNanos() - a.aggregatorNanos()) / 1e3 / checks);
            results.put("aggregatorCpuMicrosPerCheck", aggregator);
            results.put("aggregatorCpuPercentOfCore",
                    Math.round((b.aggregatorNanos() - a.aggregatorNanos()) / 1e9 / seconds * 1000) / 10.0);
            results.put("pipelineCpuMicrosPerCheck", Math.round(cpuMicros / checks) + aggregator);
            // Which of its threads that goes to: the stream thread's events, its clients' network threads, its JIT, GC.
            results.put("aggregatorOsThreads",
                    OsThreadStats.between(a.aggregatorThreads(), b.aggregatorThreads(), seconds, 0.05, 1));
        }
        if (yardstick) {
            // The engine alone on the same events at the same time, in a process like the aggregator's: what of the
            // aggregator's CPU per event the engine (polls, commits, changelog, output) costs at this rate.
            long yardstickNanos = b.yardstickNanos() - a.yardstickNanos();
            results.put("yardstickCpuMicrosPerCheck", Math.round(yardstickNanos / 1e3 / checks));
            results.put("yardstickOsThreads",
                    OsThreadStats.between(a.yardstickThreads(), b.yardstickThreads(), seconds, 0.05, 1));
            // Target 5's sense: the aggregator's speed as a share of the yardstick's (1 = as cheap as the engine).
            results.put("yardstickToAggregatorCpu", Math.round(100.0 * yardstickNanos
                    / Math.max(1, b.aggregatorNanos() - a.aggregatorNanos())) / 100.0);
        }
    }

    static long cpuNanos(Process process) {
        return process.info().totalCpuDuration().orElse(Duration.ZERO).toNanos();
    }

    private static long gcPauseMillis() {
        // JDK 20+ also lists "G1 Concurrent GC", whose time is concurrent work, not pauses.
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(gc -> !gc.getName().contains("Concurrent"))
                .mapToLong(gc -> Math.max(0, gc.getCollectionTime())).sum();
    }

    /** Total and steal jiffies of all CPUs from /proc/stat; null where there is none. */
    private static long[] cpuJiffies() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < fields.length; i++) {
                total += Long.parseLong(fields[i]);
            }
            return new long[] {total, fields.length > 8 ? Long.parseLong(fields[8]) : 0};
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * CPU nanoseconds of the live threads, summed by name with numbers stripped ("HttpClient-1-SelectorManager" →
     * "HttpClient-SelectorManager").
     */
    private static Map<String, Long> cpuByThreadGroup() {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Map<String, Long> groups = new HashMap<>();
        for (ThreadInfo info : bean.getThreadInfo(bean.getAllThreadIds())) {
            if (info != null) {
                long cpu = bean.getThreadCpuTime(info.getThreadId());
                if (cpu > 0) {
                    groups.merge(info.getThreadName().replaceAll("-?\\d+", ""), cpu, Long::sum);
                }
            }
        }
        return groups;
    }
}
